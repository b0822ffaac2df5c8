import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel, loadModelSpec } from '../src/node.ts';
import { Model } from '../src/model/model.ts';
import { Tensor } from '../src/tensor.ts';
import { backwardNet } from '../src/methods/backward-net.ts';
import { occlusion } from '../src/methods/occlusion.ts';
import { gradCam } from '../src/methods/grad-cam.ts';
import { topChannels } from '../src/methods/top-channels.ts';
import { buildReport } from '../src/methods/report.ts';
import { countNonFinite } from '../src/nonfinite.ts';
import { expectConvscopeError } from './helpers/errors.ts';
import { root } from './helpers/cli.ts';

const MODEL = join(root, 'weights', 'mnist-cnn');
let model: Model;
test.before(async () => {
  model = await loadModel(MODEL);
});

function digitWith(...values: [number, number][]): Tensor {
  const x = new Tensor([1, 28, 28]);
  for (let i = 0; i < x.size; i++) x.data[i] = (i * 37) % 256;
  for (const [at, v] of values) x.data[at] = v;
  return x;
}

/** The model with the last layer's kernel multiplied by `factor` (finite weights whose logits overflow). */
async function modelWithOutKernel(change: (kernel: Float32Array) => void): Promise<Model> {
  const spec = await loadModelSpec(MODEL);
  const out = spec.layers.find((l) => l.name === 'out')!;
  const kernel = out.weights.kernel.clone();
  change(kernel.data);
  return new Model({ ...spec, layers: spec.layers.map((l) => (l === out ? { ...l, weights: { ...l.weights, kernel } } : l)) });
}

test('countNonFinite counts NaN and ±Infinity apart and finds the first', () => {
  assert.equal(countNonFinite([1, NaN, 2, Infinity, -Infinity, NaN]), { nan: 2, infinite: 2, first: 1 });
  assert.equal(countNonFinite(new Float32Array([0, -0, 3.4e38, -3.4e38])), { nan: 0, infinite: 0, first: -1 });
});

test('NaN in the input: predict refuses it, naming how many, where, and what to check', async () => {
  const x = digitWith([5 * 28 + 7, NaN], [600, NaN], [601, Infinity]);
  await expectConvscopeError(() => model.predict(x), 'E_NONFINITE', '2 NaN and 1 infinite values', 'the first at [0, 5, 7]', '--scale', 'allowNonFinite');
  await expectConvscopeError(() => model.forward(x), 'E_NONFINITE', 'the first at [0, 5, 7]');
  await expectConvscopeError(() => model.predict(x.reshape([1, 1, 28, 28]), 'conv1'), 'E_NONFINITE', 'the first at [0, 0, 5, 7]');
});

test('NaN in the input: every method refuses it', async () => {
  const x = digitWith([3, NaN]);
  await expectConvscopeError(() => backwardNet(model, x, { layer: 'conv2', channel: 1 }), 'E_NONFINITE', '1 NaN value');
  await expectConvscopeError(() => occlusion(model, x, { size: 8, stride: 8 }), 'E_NONFINITE', '1 NaN value');
  await expectConvscopeError(() => gradCam(model, x, { layer: 'conv2' }), 'E_NONFINITE', '1 NaN value');
  await expectConvscopeError(() => topChannels(model, x, { layer: 'conv1', k: 2 }), 'E_NONFINITE', '1 NaN value');
  await expectConvscopeError(() => buildReport(model, x, { inputName: 'x.npy', modelName: 'm', topK: 1 }), 'E_NONFINITE', '1 NaN value');
});

test('inputName names the input in the message, for every method', async () => {
  const x = digitWith([3, NaN]);
  await expectConvscopeError(() => model.predict(x, undefined, { inputName: 'digit.npy' }), 'E_NONFINITE', 'digit.npy has 1 NaN value');
  await expectConvscopeError(() => backwardNet(model, x, { layer: 'conv2', inputName: 'digit.npy' }), 'E_NONFINITE', 'digit.npy has 1 NaN value');
  await expectConvscopeError(() => occlusion(model, x, { size: 8, stride: 8, inputName: 'digit.npy' }), 'E_NONFINITE', 'digit.npy has');
  await expectConvscopeError(() => gradCam(model, x, { layer: 'conv2', inputName: 'digit.npy' }), 'E_NONFINITE', 'digit.npy has');
  await expectConvscopeError(() => topChannels(model, x, { layer: 'conv1', inputName: 'digit.npy' }), 'E_NONFINITE', 'digit.npy has');
  await expectConvscopeError(() => buildReport(model, x, { inputName: 'digit.npy', modelName: 'm' }), 'E_NONFINITE', 'digit.npy has');
  await expectConvscopeError(() => model.forward(x, undefined, { inputName: 42 as never }), 'E_ARGUMENT', 'inputName must be a string');
});

test('allowNonFinite: true lets a NaN input through predict and forward', () => {
  const x = digitWith([3, NaN]);
  const y = model.predict(x, undefined, { allowNonFinite: true });
  assert.equal(y.shape, [10]);
  assert.ok(model.forward(x, 'conv1', { allowNonFinite: true }).output.size > 0);
  assert.ok(backwardNet(model, x, { layer: 'conv1', channel: 0, allowNonFinite: true }).size === 784);
});

test('finite weights whose logits overflow: the NaN output is an error, not a result', async () => {
  const overflowing = await modelWithOutKernel((k) => k.fill(3e38));
  const x = digitWith();
  await expectConvscopeError(() => overflowing.predict(x), 'E_NONFINITE', "the output of layer 'out'", 'not a result');
  await expectConvscopeError(() => overflowing.forward(x), 'E_NONFINITE', "the output of layer 'out'");
  await expectConvscopeError(() => occlusion(overflowing, x, { size: 14, stride: 14 }), 'E_NONFINITE');
  await expectConvscopeError(() => gradCam(overflowing, x, { layer: 'conv2' }), 'E_NONFINITE');
  await expectConvscopeError(() => backwardNet(overflowing, x, { layer: 'out' }), 'E_NONFINITE');
  // Up to a layer before the overflow the numbers are fine.
  assert.equal(overflowing.predict(x, 'dense2').shape, [64]);
});

test('an Infinity weight: the output is an error (at load or at the output, either way E_NONFINITE)', async () => {
  const x = digitWith();
  await expectConvscopeError(async () => (await modelWithOutKernel((k) => (k[3] = Infinity))).predict(x), 'E_NONFINITE');
});

test('a finite input whose pixels were scaled by 1e36 either runs finitely or is refused as non-finite', async () => {
  const x = digitWith();
  for (let i = 0; i < x.size; i++) x.data[i] *= 1e36 * (i % 2 ? 1 : -1);
  try {
    const y = model.predict(x);
    assert.ok(countNonFinite(y.data).first < 0, 'a result holds only finite numbers');
  } catch (e) {
    await expectConvscopeError(() => { throw e; }, 'E_NONFINITE');
  }
});

test.run();
