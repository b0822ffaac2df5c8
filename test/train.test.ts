import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Tensor } from '../src/tensor.ts';
import { loadModel } from '../src/node/load-model.ts';
import { sequential, mnistCnn } from '../src/train/sequential.ts';
import { train } from '../src/train/train.ts';
import { Trainer, trainableWeights } from '../src/train/trainer.ts';
import { Optimizer } from '../src/train/optimizers.ts';
import { expectConvscopeError } from './helpers/errors.ts';
import { root } from './helpers/cli.ts';

/** A small two-class problem: bright top half (class 0) or bright bottom half (class 1), with noise. */
function halves(n: number, seed: number): { x: Tensor; y: Int32Array } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = Tensor.zeros([n, 1, 8, 8]);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let p = 0; p < 64; p++) x.data[i * 64 + p] = rand() * 0.5 + ((p < 32) === (y[i] === 0) ? 0.5 : 0);
  }
  return { x, y };
}

const small = (seed = 1) => sequential([
  { type: 'Conv2D', filters: 4, kernel_size: 3, activation: 'relu' },
  { type: 'BatchNormalization' },
  { type: 'MaxPooling2D' },
  { type: 'Dropout', rate: 0.2 },
  { type: 'Flatten' },
  { type: 'Dense', units: 2, activation: 'softmax' },
], { inputShape: [8, 8, 1], seed });

test('mnistCnn has the shipped MNIST CNN\'s layers, shapes and parameter count', async () => {
  const shipped = await loadModel(join(root, 'weights', 'mnist-cnn'));
  const fresh = mnistCnn();
  assert.equal(fresh.layerNames(), shipped.layerNames());
  assert.equal(fresh.layers.map((l) => l.outputShape), shipped.layers.map((l) => l.outputShape));
  assert.is(fresh.paramCount, shipped.paramCount);
  assert.ok(fresh.spec.keras, 'keeps its Keras description');
});

test('sequential names layers as Keras does and initialises Glorot-uniform kernels, zero biases', () => {
  const model = small();
  assert.equal(model.layerNames(), ['conv2d', 'batch_normalization', 'max_pooling2d', 'dropout', 'flatten', 'dense']);
  const kernel = model.layer('conv2d').weights.kernel;
  const limit = Math.sqrt(6 / ((1 + 4) * 9));
  assert.ok(kernel.data.every((v) => Math.abs(v) <= limit) && kernel.data.some((v) => Math.abs(v) > limit / 2));
  assert.ok(model.layer('conv2d').weights.bias.data.every((v) => v === 0));
});

test('training learns a small problem, and the same seed gives the same weights bit for bit', () => {
  const data = halves(200, 7);
  const run = (seed: number) => {
    const model = small(seed);
    const history = train(model, data, { epochs: 4, batchSize: 16, learningRate: 0.01, seed });
    return { history, weights: trainableWeights(model).map((w) => Array.from(w.tensor.data)), bn: Array.from(model.layer('batch_normalization').weights.moving_mean.data) };
  };
  const a = run(3);
  const b = run(3);
  const c = run(4);
  assert.is(a.history.length, 5);
  assert.ok(Number.isNaN(a.history[0].loss));
  assert.ok(a.history[4].heldOutAccuracy >= 0.95, `held-out accuracy ${a.history[4].heldOutAccuracy}`);
  assert.ok(a.history[4].loss < a.history[1].loss);
  assert.equal(a.weights, b.weights);
  assert.equal(a.bn, b.bn);
  assert.ok(a.bn.some((v) => v !== 0), 'moving statistics moved');
  assert.not.equal(a.weights, c.weights);
});

test('SGD with momentum and nesterov, and Adam, follow Keras 2\'s update rules', () => {
  const w = new Tensor([2], new Float32Array([1, -2]));
  const g = new Tensor([2], new Float32Array([0.5, 0.25]));
  const sgd = new Optimizer({ optimizer: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true });
  sgd.step(new Map([[w, g]]));
  sgd.step(new Map([[w, g]]));
  // m1 = -0.05, w1 = 1 + 0.9 * -0.05 - 0.05 = 0.905; m2 = 0.9 * -0.05 - 0.05 = -0.095, w2 = 0.905 + 0.9 * -0.095 - 0.05
  assert.ok(Math.abs(w.data[0] - (0.905 - 0.0855 - 0.05)) < 1e-6, String(w.data[0]));
  const v = new Tensor([1], new Float32Array([1]));
  const adam = new Optimizer({ optimizer: 'adam', learningRate: 0.01 });
  adam.step(new Map([[v, new Tensor([1], new Float32Array([2]))]]));
  // t = 1: alpha = 0.01 * sqrt(0.001) / 0.1, m = 0.2, v = 0.004: w -= alpha * 0.2 / (sqrt(0.004) + 1e-7)
  const alpha = (0.01 * Math.sqrt(0.001)) / 0.1;
  assert.ok(Math.abs(v.data[0] - (1 - (alpha * 0.2) / (Math.sqrt(0.004) + 1e-7))) < 1e-6, String(v.data[0]));
});

test('a cosine schedule decays the learning rate to 0 over its steps', () => {
  const opt = new Optimizer({ optimizer: 'sgd', learningRate: 0.1, schedule: 'cosine', decaySteps: 4 });
  const rates: number[] = [];
  for (let i = 0; i <= 4; i++) {
    rates.push(opt.currentRate);
    opt.step(new Map());
  }
  assert.ok(Math.abs(rates[0] - 0.1) < 1e-12 && Math.abs(rates[2] - 0.05) < 1e-12 && Math.abs(rates[4]) < 1e-12, String(rates));
});

test('layers Keras marks trainable: false keep their weights, and a frozen BatchNormalization its statistics', () => {
  const model = sequential([
    { type: 'Conv2D', filters: 4, kernel_size: 3, activation: 'relu', trainable: false },
    { type: 'BatchNormalization', trainable: false },
    { type: 'Flatten' },
    { type: 'Dense', units: 2, activation: 'softmax' },
  ], { inputShape: [8, 8, 1] });
  const before = model.layers.map((l) => Object.fromEntries(Object.entries(l.weights).map(([k, t]) => [k, Array.from(t.data)])));
  const { x, y } = halves(8, 3);
  const trainer = new Trainer(model, { optimizer: 'sgd', learningRate: 0.1 });
  assert.equal(trainableWeights(model).map((w) => `${w.layer}/${w.name}`), ['dense/kernel', 'dense/bias']);
  trainer.step(x, y);
  const after = model.layers.map((l) => Object.fromEntries(Object.entries(l.weights).map(([k, t]) => [k, Array.from(t.data)])));
  assert.equal(after[0], before[0]);
  assert.equal(after[1], before[1]);
  assert.not.equal(after[3].kernel, before[3].kernel);
});

test('bad data gets one clear line each', async () => {
  const model = small();
  const { x, y } = halves(10, 1);
  await expectConvscopeError(() => train(model, { x, y: new Int32Array([0, 1, 2, 0, 1, 0, 1, 0, 1, 0]) }), 'E_ARGUMENT', 'label 2', 'from 0 to 1');
  await expectConvscopeError(() => train(model, { x, y: new Int32Array([-1, 1, 0, 0, 1, 0, 1, 0, 1, 0]) }), 'E_ARGUMENT', 'label -1');
  await expectConvscopeError(() => train(model, { x, y: y.subarray(0, 9) }), 'E_SHAPE', '10 inputs but 9 labels');
  await expectConvscopeError(() => train(model, { x, y: Float32Array.from(y) as unknown as Int32Array }), 'E_ARGUMENT', 'Int32Array');
  await expectConvscopeError(() => train(model, { x: Tensor.zeros([10, 1, 9, 9]), y }), 'E_SHAPE', '(N, 1, 8, 8)');
  await expectConvscopeError(() => train(model, { x, y }, { optimizer: 'rmsprop' as 'sgd' }), 'E_ARGUMENT', "unknown optimizer 'rmsprop'", 'sgd, adam');
  await expectConvscopeError(() => train(model, { x, y }, { validationSplit: 1 }), 'E_ARGUMENT', 'nothing is left to train on');
  const frozen = sequential([{ type: 'MaxPooling2D' }, { type: 'Flatten' }, { type: 'Activation', activation: 'softmax' }], { inputShape: [4, 4, 2] });
  await expectConvscopeError(() => new Trainer(frozen), 'E_UNSUPPORTED', 'no trainable layer');
  const map = sequential([{ type: 'Conv2D', filters: 2, kernel_size: 1 }], { inputShape: [4, 4, 2] });
  await expectConvscopeError(() => new Trainer(map), 'E_UNSUPPORTED', 'not a vector of class scores');
});

test.run();
