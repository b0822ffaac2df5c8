import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { ConvscopeError } from '../src/errors.ts';
import { cli, failureLine, root } from './helpers/cli.ts';

// Graphs convscope cannot run (written by test/fixtures/models/make_graph_models.py): the library
// throws one ConvscopeError line with the right code, and the CLI exits non-zero with that line.
const graphs = join(root, 'test', 'fixtures', 'models', 'graphs');

const cases: { file: string; code: string; pattern: RegExp; what: string }[] = [
  { what: 'a cycle', file: 'bad_graph_cycle.h5', code: 'E_FORMAT', pattern: /cycle \((add -> conv2d -> add|conv2d -> add -> conv2d)\)/ },
  { what: 'a dangling input', file: 'bad_graph_dangling_input.h5', code: 'E_FORMAT', pattern: /layer 'add' takes its input from 'conv2d_9', which .* does not define/ },
  { what: 'a Lambda inside a nested model', file: 'bad_nested_lambda.h5', code: 'E_UNSUPPORTED', pattern: /layer 'base_model\/lambda' is a Lambda, which convscope does not support/ },
  { what: 'two inputs', file: 'bad_multi_input.h5', code: 'E_UNSUPPORTED', pattern: /2 inputs \(image, mask\); convscope handles single-input models/ },
];

for (const c of cases) {
  test(`loadModel refuses ${c.what} in one line (${c.code})`, async () => {
    const path = join(graphs, c.file);
    try {
      await loadModel(path);
    } catch (e) {
      assert.instance(e, ConvscopeError);
      const err = e as ConvscopeError;
      assert.is(err.code, c.code, err.message);
      assert.match(err.message, c.pattern);
      assert.ok(err.message.startsWith(path), `the message names the file: ${err.message}`);
      assert.not.match(err.message, /\n/);
      return;
    }
    assert.unreachable(`${c.file} loaded`);
  });

  test(`convscope info refuses ${c.what}: exit 1, one line`, () => {
    const r = cli(['info', join(graphs, c.file)]);
    assert.is(r.status, 1, r.stderr);
    assert.is(r.stdout, '');
    assert.match(failureLine(r), c.pattern);
  });
}

test.run();
