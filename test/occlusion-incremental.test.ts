import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { Model } from '../src/model/model.ts';
import type { LayerSpec } from '../src/model/spec.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Tensor } from '../src/tensor.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import { occlusion, occlusionGrid, type OcclusionOptions, type OcclusionResult } from '../src/methods/occlusion.ts';
import { windowSpan, planPositions, occlusionWork } from '../src/methods/occlusion-incremental.ts';
import { seededRandom, randomTensor } from './helpers/random.ts';

// Incremental occlusion against running every occluded image through the whole network. Each
// patch value is the same dot product by the same kernel as in the full forward, so the maps
// must be identical to the last bit, not merely within SEMANTICS.md's tolerance.
const root = join(import.meta.dirname, '..');
const fixture = (name: string) => loadModel(join(root, 'test', 'fixtures', 'models', name));

async function goldenSample(model: string, sample: number): Promise<Tensor> {
  const x = await readNpyTensor(join(root, 'test', 'golden', 'methods', model, 'input.npy'));
  const per = x.size / x.shape[0];
  return new Tensor(x.shape.slice(1), x.data.slice(sample * per, (sample + 1) * per));
}

function identical(what: string, out: Tensor, ref: Tensor): void {
  let differ = 0;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.size; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
    if (!Object.is(out.data[i], ref.data[i])) {
      differ++;
      maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - ref.data[i]));
    }
  }
  const within = maxDiff <= 1e-4 * maxRef + 1e-6 ? 'within' : 'OUTSIDE';
  assert.is(differ, 0, `${what}: ${differ} of ${ref.size} values differ, max|out-ref| ${maxDiff} (${within} tolerance, max|ref| ${maxRef})`);
}

function sameResult(inc: OcclusionResult, ref: OcclusionResult): void {
  assert.equal(inc.grid.shape, ref.grid.shape);
  identical('grid', inc.grid, ref.grid);
  identical('attribution', inc.attribution, ref.attribution);
  assert.is(inc.baseline, ref.baseline);
  assert.is(inc.targetClass, ref.targetClass);
}

function compare(model: Model, x: Tensor, opts: OcclusionOptions): void {
  const naive = occlusion(model, x, { ...opts, strategy: 'naive' });
  sameResult(occlusion(model, x, { ...opts, strategy: 'incremental' }), naive);
  sameResult(occlusion(model, x, { ...opts, strategy: 'batched', batchSize: 5 }), naive);
}

const describe = (o: OcclusionOptions) =>
  `size ${o.size} stride ${o.stride}${o.fill ? ` fill ${o.fill}` : ''}${o.layer ? ` ${o.layer} channel ${o.channel}` : o.target !== undefined ? ` class ${o.target}` : ''}`;

test('windowSpan: 3x3 stride 1 pad 1 in the middle and at the top border', () => {
  assert.equal(windowSpan(4, 6, 10, 10, 3, 1, 1, 1), { lo: 3, hi: 7, changedLo: 3, changedHi: 7, c0: 2, c1: 8, before: 0, after: 0 });
  assert.equal(windowSpan(0, 2, 10, 10, 3, 1, 1, 1), { lo: 0, hi: 3, changedLo: 0, changedHi: 3, c0: 0, c1: 4, before: 1, after: 0 });
});

test('windowSpan aligned to Winograd tiles: computed from an even output to an even one or the end of an odd map; the changed part travels on', () => {
  assert.equal(windowSpan(4, 6, 10, 10, 3, 1, 1, 1, 2), { lo: 2, hi: 8, changedLo: 3, changedHi: 7, c0: 1, c1: 9, before: 0, after: 0 });
  assert.equal(windowSpan(8, 9, 9, 9, 3, 1, 1, 1, 2), { lo: 6, hi: 9, changedLo: 7, changedHi: 9, c0: 5, c1: 9, before: 0, after: 1 });
});

test('windowSpan: 3x3 stride 2 same on 13 rows, the last row reaches into the bottom padding', () => {
  assert.equal(windowSpan(12, 13, 13, 7, 3, 2, 1, 1), { lo: 6, hi: 7, changedLo: 6, changedHi: 7, c0: 11, c1: 13, before: 0, after: 1 });
});

test('windowSpan: 2x2 stride 2 valid drops row 12 of 13, and a 5x5 dilation-2 window reaches 9 rows', () => {
  assert.is(windowSpan(12, 13, 13, 6, 2, 2, 1, 0), null);
  assert.equal(windowSpan(10, 11, 20, 12, 5, 1, 2, 0), { lo: 2, hi: 11, changedLo: 2, changedHi: 11, c0: 2, c1: 19, before: 0, after: 0 });
});

const mnist = await loadModel(join(root, 'weights', 'mnist-cnn'));
const mnistCases: OcclusionOptions[] = [
  { size: 8, stride: 4 },
  { size: 1, stride: 1 },
  { size: 3, stride: 2, fill: 255 },
  { size: 7, stride: 5, target: 3 },
  { size: 28, stride: 1 },
  { size: 2, stride: 5 },
  { size: 5, stride: 3, layer: 'conv1', channel: 3 },
  { size: 4, stride: 4, layer: 'pool1', channel: 0 },
  { size: 8, stride: 4, layer: 'conv2', channel: 5 },
  { size: 6, stride: 2, layer: 'dense1', channel: 17 },
];
for (const opts of mnistCases) {
  test(`mnist-cnn (1x28x28): incremental = naive, ${describe(opts)}`, async () => compare(mnist, await goldenSample('mnist_model', 0), opts));
}

test('mnist-cnn: an 8x8 occluder at stride 4 is a patch up to conv2, up to Flatten where it stays off the centre', () => {
  const { ny, nx } = occlusionGrid(28, 28, 8, 4);
  const plans = planPositions(mnist, 28, 28, 8, 4, ny, nx, mnist.layers.length - 1);
  const from = (i: number, j: number) => mnist.layers[plans[i * nx + j].from].name;
  assert.is(from(2, 2), 'conv2');
  assert.is(from(0, 0), 'flatten');
  assert.is(from(2, 0), 'flatten');
  const work = occlusionWork(mnist, plans, mnist.layers.length - 1);
  assert.ok(work.incremental < work.full, `${work.incremental} vs ${work.full} MACs`);
});

const channelsLast = await fixture('channels_last_model.h5');
for (const opts of [
  { size: 4, stride: 3, fill: 0.5 },
  { size: 1, stride: 1 },
  { size: 5, stride: 2 },
  { size: 11, stride: 1 },
  { size: 3, stride: 4, layer: 'conv2d_2', channel: 6 },
  { size: 2, stride: 3, layer: 'average_pooling2d_1', channel: 1 },
] as OcclusionOptions[]) {
  test(`channels_last_model (3x13x11, same, stride 2, AvgPool, BN): incremental = naive, ${describe(opts)}`, async () =>
    compare(channelsLast, await goldenSample('channels_last_model', 1), opts));
}

const functionalChain = await fixture('functional_chain_model.h5');
const functionalPool = await fixture('functional_pool_model.h5');
for (const [name, model] of [['functional_chain_model (ZeroPadding2D, dilated same conv, GAP)', functionalChain], ['functional_pool_model (MaxPool same stride 2, GMP, Reshape)', functionalPool]] as const) {
  const x = randomTensor(seededRandom(11), model.inputShape);
  const side = Math.min(model.inputShape[1], model.inputShape[2]);
  for (const opts of [{ size: 1, stride: 1 }, { size: 3, stride: 2 }, { size: 4, stride: 3, fill: -1 }, { size: side, stride: 2 }] as OcclusionOptions[]) {
    test(`${name}: incremental = naive, ${describe(opts)}`, () => compare(model, x, opts));
  }
}

/** A deeper chain on 3x32x32, so that patches live through several layers of every kind and conv path. */
function deepModel(): Model {
  const rng = seededRandom(5);
  const w = (shape: number[], scale: number) => new Tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng() * 2 - 1) * scale));
  const conv = (name: string, cin: number, cout: number, k: number, params: Record<string, unknown>, activation: LayerSpec['activation']): LayerSpec => ({
    name, type: 'Conv2D', activation, params: { strides: [1, 1], dilation: [1, 1], padding: 'same', ...params } as LayerSpec['params'],
    weights: { kernel: w([cout, cin, k, k], 1.5 / Math.sqrt(cin * k * k)), bias: w([cout], 0.2) },
  });
  const plain = (name: string, type: LayerSpec['type'], params: LayerSpec['params'] = {}, activation: LayerSpec['activation'] = 'linear'): LayerSpec => ({ name, type, activation, params, weights: {} });
  const bn: LayerSpec = {
    name: 'bn', type: 'BatchNormalization', activation: 'linear', params: { epsilon: 0.001 },
    weights: { gamma: w([8], 1).clone(), beta: w([8], 0.5), moving_mean: w([8], 0.5), moving_variance: new Tensor([8], Float32Array.from({ length: 8 }, () => 0.5 + rng())) },
  };
  const layers: LayerSpec[] = [
    plain('pad', 'ZeroPadding2D', { padding: [1, 2, 2, 1] }),
    conv('c1', 3, 8, 3, {}, 'relu'),
    bn,
    conv('cw', 8, 8, 3, {}, 'relu'), // on the Winograd path: patches must keep its 2x2 tiles
    plain('tanh', 'Activation', {}, 'tanh'), // pointwise on a tile-aligned patch wider than its change
    plain('pad2', 'ZeroPadding2D', { padding: [1, 0, 0, 1] }), // and moved by padding
    conv('c2', 8, 8, 3, { strides: [2, 2] }, 'tanh'),
    plain('avg', 'AveragePooling2D', { pool: [3, 3], strides: [1, 1], padding: 'same' }),
    conv('c3', 8, 12, 3, { dilation: [2, 2], padding: 'valid' }, 'relu'),
    plain('max', 'MaxPooling2D', { pool: [2, 2], strides: [2, 2], padding: 'valid' }),
    plain('act', 'Activation', {}, 'sigmoid'),
    plain('drop', 'Dropout'),
    conv('c4', 12, 4, 1, {}, 'linear'),
    plain('gap', 'GlobalAveragePooling2D'),
    { name: 'out', type: 'Dense', activation: 'softmax', params: {}, weights: { kernel: w([4, 5], 1), bias: w([5], 0.2) } },
  ];
  return new Model({ name: 'deep', dataFormat: 'channels_first', inputShape: [3, 32, 32], layers, provenance: { source: 'test' } });
}

const deep = deepModel();
const deepInput = randomTensor(seededRandom(3), deep.inputShape);
for (const opts of [{ size: 4, stride: 3 }, { size: 1, stride: 2 }, { size: 6, stride: 5, fill: 1 }, { size: 32, stride: 1 }, { size: 3, stride: 7 }, { size: 5, stride: 4, layer: 'c3', channel: 2 }] as OcclusionOptions[]) {
  test(`deep chain (3x32x32): incremental = naive, ${describe(opts)}`, () => compare(deep, deepInput, opts));
}

test('deep chain: patches survive past c3 for a 4x4 occluder', () => {
  const { ny, nx } = occlusionGrid(32, 32, 4, 3);
  const plans = planPositions(deep, 32, 32, 4, 3, ny, nx, deep.layers.length - 1);
  assert.ok(plans.some((p) => p.from > deep.layerIndex('c3')), `from: ${[...new Set(plans.map((p) => p.from))].join(', ')}`);
});

for (const set of KERNEL_SET_NAMES) {
  test(`incremental = naive on the ${set} kernels: mnist-cnn size 8 stride 4, deep chain size 4 stride 3`, async () => {
    const digit = await goldenSample('mnist_model', 1);
    withKernels(set, () => {
      compare(mnist, digit, { size: 8, stride: 4 });
      compare(deep, deepInput, { size: 4, stride: 3 });
    });
  });
}

test('occlusion: an unknown strategy is named with the valid ones', () => {
  assert.throws(() => occlusion(mnist, Tensor.zeros([1, 28, 28]), { size: 4, stride: 4, strategy: 'fast' as never }), /unknown strategy 'fast'; valid strategies: incremental, batched, naive/);
});

test.run();
