import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, failureLine, root } from './helpers/cli.ts';
import { loadModel } from '../src/node/load-model.ts';
import { randomTensor, seededRandom } from './helpers/random.ts';

// The CLI on TensorFlow.js layers models (test/fixtures/models/tfjs/, written by to_tfjs.py).
const TFJS = join(root, 'test', 'fixtures', 'models', 'tfjs');
const digit = join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy');

/** A copy of a converted folder in a temporary folder, damaged by `edit`. */
function damaged(name: string, edit: (dir: string) => void): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'convscope-tfjs-')), name);
  cpSync(join(TFJS, name), dir, { recursive: true });
  edit(dir);
  return dir;
}

function editJson(dir: string, edit: (json: any) => void): void {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
}

function failsWith(args: string[], pattern: RegExp): void {
  const r = cli(args);
  assert.is(r.status, 1, `exit code for ${args.join(' ')}: ${r.status}\n${r.stderr}`);
  assert.match(failureLine(r), pattern);
  assert.is(r.stdout, '');
}

test('info on a tfjs model.json and on its folder', () => {
  for (const path of [join(TFJS, 'mnist_model_uint8', 'model.json'), join(TFJS, 'mnist_model_uint8')]) {
    const r = cli(['info', path]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /input shape:\s+\(1, 28, 28\)/);
    assert.match(r.stdout, /total parameters: 87,818/);
  }
});

test('predict on a tfjs model.json', () => {
  const r = cli(['predict', join(TFJS, 'mnist_model_uint8', 'model.json'), digit]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /\b7\b/);
});

test('convert a tfjs model into a folder that loads identically; a tfjs folder is never replaced', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'convscope-tfjs-')), 'converted');
  const r = cli(['convert', join(TFJS, 'channels_last_model', 'model.json'), out]);
  assert.is(r.status, 0, r.stderr);
  const [a, b] = await Promise.all([loadModel(out), loadModel(join(TFJS, 'channels_last_model'))]);
  const x = randomTensor(seededRandom(5), [2, ...b.inputShape]);
  assert.equal(a.predict(x).data, b.predict(x).data);

  const tfjsFolder = damaged('functional_pool_model', () => {});
  failsWith(['convert', join(TFJS, 'channels_last_model'), tfjsFolder], /holds a model\.json that convscope did not write/);
  assert.equal(readdirSync(tfjsFolder).sort(), ['group1-shard1of1.bin', 'model.json']);
});

test('bad tfjs files: one line naming the file and the problem, exit 1, nothing written', () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['functional_pool_model', (d) => rmSync(join(d, 'group1-shard1of1.bin')), /model\.json: the weight file 'group1-shard1of1\.bin' that its weightsManifest lists is missing/],
    ['channels_last_model', (d) => writeFileSync(join(d, 'group1-shard2of3.bin'), readFileSync(join(d, 'group1-shard2of3.bin')).subarray(0, 1000)), /group1-shard2of3\.bin is short/],
    ['functional_pool_model', (d) => editJson(d, (j) => (j.weightsManifest[0].weights[0].shape = [3, 3, 6, 3])), /layer 'conv' \(Conv2D\): kernel has shape \[3, 3, 6, 3\]/],
    ['functional_pool_model', (d) => editJson(d, (j) => (j.weightsManifest[0].weights[0].dtype = 'float64')), /weight 'conv\/kernel' has dtype "float64"; expected one of float32, int32/],
    ['functional_pool_model', (d) => editJson(d, (j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'int4' })), /has the quantization "int4"; expected uint8, uint16 or float16/],
    ['functional_pool_model', (d) => writeFileSync(join(d, 'model.json'), '{"format": "layers-model", "modelTopology": {'), /model\.json: not valid JSON \(at position 45\)/],
    ['functional_pool_model', (d) => writeFileSync(join(d, 'model.json'), '<html>Not found</html>'), /model\.json: not valid JSON/],
    ['functional_pool_model', (d) => editJson(d, (j) => (j.modelTopology = { class_name: 'Dense', config: {} })), /modelTopology has class_name "Dense"; expected Sequential, Model or Functional/],
  ];
  for (const [name, edit, pattern] of cases) {
    const dir = damaged(name, edit);
    failsWith(['info', join(dir, 'model.json')], pattern);
    const out = join(dir, '..', 'out');
    failsWith(['convert', dir, out], pattern);
    assert.not.ok(existsSync(out), 'convert left output behind');
  }
});

test.run();
