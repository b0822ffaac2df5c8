import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Tensor, formatShape } from '../src/tensor.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import { goldenMismatch } from './helpers/tolerance.ts';

// Every layer output (and pre-activation) of each model against PyTorch's, SEMANTICS.md tolerance.
const root = join(import.meta.dirname, '..');
const goldenDir = join(root, 'test', 'golden', 'models');

interface Manifest {
  model: string;
  inputFile: string;
  classes: number[];
  layers: { name: string; className: string; output: string; preActivation?: string; shape: number[] }[];
}


function argmaxRows(t: Tensor): number[] {
  const k = t.shape[1];
  return Array.from({ length: t.shape[0] }, (_, r) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (t.data[r * k + j] > t.data[r * k + best]) best = j;
    return best;
  });
}

for (const name of readdirSync(goldenDir).filter((d) => !d.includes('.'))) {
  const dir = join(goldenDir, name);
  const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  for (const set of KERNEL_SET_NAMES) {
    test(`${name}: every layer matches PyTorch [${set}]`, async () => {
      const model = await loadModel(join(root, manifest.model));
      const input = await readNpyTensor(join(dir, manifest.inputFile));
      const result = withKernels(set, () => model.forward(input));
      let checked = 0;
      for (const l of manifest.layers) {
        // A functional model's InputLayer is a node (SEMANTICS.md "Graphs"); its output is the input.
        const record = result.records.get(l.name);
        assert.ok(record, `layer ${l.name} missing from the forward record`);
        if (l.className === 'InputLayer') {
          assert.equal(record.output.data, input.data);
          checked++;
          continue;
        }
        // Vector outputs are in Keras's own element order (SEMANTICS.md), so they compare as they are.
        const problem = goldenMismatch(record.output, await readNpyTensor(join(dir, l.output)));
        assert.is(problem, null, `${l.name} output: ${problem}`);
        if (l.preActivation) {
          const p = goldenMismatch(record.z, await readNpyTensor(join(dir, l.preActivation)));
          assert.is(p, null, `${l.name} pre-activation: ${p}`);
        }
        checked++;
      }
      assert.is(checked, model.layers.length);
      assert.equal(argmaxRows(result.output), manifest.classes);
    });
  }
}

test.run();
