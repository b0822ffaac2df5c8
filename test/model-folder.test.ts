import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel, loadModelSpec } from '../src/node/load-model.ts';
import { modelFolderFiles, readModelFolder } from '../src/io/model-folder.ts';
import { Tensor } from '../src/tensor.ts';
import { root } from './helpers/cli.ts';

const fixtures = join(root, 'test', 'fixtures', 'models');

function sample(shape: readonly number[], seed = 1): Tensor {
  const t = Tensor.zeros(shape);
  let s = seed;
  for (let i = 0; i < t.size; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    t.data[i] = s / 2147483648 - 0.5;
  }
  return t;
}

test('a version-1 folder (written by the first release, CHW flatten + permuted Dense rows) gives the .h5 model\'s outputs', async () => {
  const h5 = await loadModel(join(fixtures, 'channels_last_model.h5'));
  const v1 = await loadModel(join(fixtures, 'v1-folders', 'channels_last_model'));
  const x = sample(h5.inputShape);
  const a = h5.forward(x);
  const b = v1.forward(x);
  for (const name of h5.layerNames()) assert.equal(b.records.get(name)!.output.data, a.records.get(name)!.output.data, name);
});

test('a graph round-trips through the folder format: inputs, outputs and a shared weight written once', async () => {
  const spec = await loadModelSpec(join(fixtures, 'branching_model.h5'));
  const conv = spec.layers.find((l) => l.name === 'conv_b')!;
  const shared = { ...conv, name: 'conv_b:1', inputs: ['conv_b'] };
  const graph = { ...spec, layers: [...spec.layers, shared], outputs: ['add', 'conv_b:1'] };
  const files = modelFolderFiles(graph);
  const json = JSON.parse(new TextDecoder().decode(files['model.json']));
  assert.is(json.version, 2);
  assert.equal(json.outputs, ['add', 'conv_b:1']);
  assert.equal(json.layers.at(-1).weights.kernel, json.layers.find((l: { name: string }) => l.name === 'conv_b').weights.kernel);
  const back = readModelFolder(files);
  assert.equal(back.layers.map((l) => l.inputs ?? null), graph.layers.map((l) => l.inputs ?? null));
  assert.ok(back.layers.at(-1)!.weights.kernel === back.layers.find((l) => l.name === 'conv_b')!.weights.kernel, 'one tensor for the shared weight');
  assert.equal(back.outputs, graph.outputs);
});

test.run();
