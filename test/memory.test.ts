import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadModel } from '../src/node/load-model.ts';
import { backwardNet } from '../src/methods/backward-net.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { wasmMemoryBytes } from '../src/runtime/wasm-kernels.ts';
import { defaultKernelSetName } from '../src/runtime/backend.ts';
import { root } from './helpers/cli.ts';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** A full collection, twice around a pause: V8 frees ArrayBuffer backing stores in the background. */
async function gc(): Promise<void> {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 200));
  collect();
}

test('1,000 forward passes and backward walks do not grow wasm or JavaScript memory', async () => {
  const model = await loadModel(join(root, 'weights', 'mnist-cnn'));
  const digits = await readNpyTensor(join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy'));
  const build = defaultKernelSetName() as 'relaxed' | 'simd' | 'scalar';
  const run = () => {
    model.forward(digits);
    backwardNet(model, digits, { layer: 'conv2', channel: 3, method: 'deconvnet' });
  };
  for (let i = 0; i < 50; i++) run();
  await gc();
  const wasmBefore = wasmMemoryBytes(build);
  const heapBefore = process.memoryUsage();
  for (let i = 0; i < 1000; i++) run();
  await gc();
  const heapAfter = process.memoryUsage();
  assert.is(wasmMemoryBytes(build), wasmBefore);
  const grown = heapAfter.heapUsed + heapAfter.arrayBuffers - (heapBefore.heapUsed + heapBefore.arrayBuffers);
  assert.ok(grown < 8 * 1024 * 1024, `JavaScript memory grew by ${(grown / 1048576).toFixed(1)} MiB over 1,000 passes`);
});

test('a forward record holds each tensor once: the pre-activation of a linear layer is its output', async () => {
  const model = await loadModel(join(root, 'weights', 'mnist-cnn'));
  const digits = await readNpyTensor(join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy'));
  const { records } = model.forward(digits);
  for (const layer of model.layers) {
    const r = records.get(layer.name)!;
    if (layer.activation === 'linear') assert.ok(r.z === r.output, `${layer.name} keeps a second copy`);
  }
  const pool1 = records.get('pool1')!;
  assert.ok(pool1.input === records.get('conv1')!.output, 'each layer\'s input is the previous layer\'s output, not a copy');
});

test.run();
