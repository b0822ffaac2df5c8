import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Model } from '../src/model/model.ts';
import { modelFolderFiles, readModelFolder } from '../src/io/model-folder.ts';
import { backwardNet, type BackwardMethod } from '../src/methods/backward-net.ts';
import { convertKerasLayer } from '../src/model/keras-converters.ts';
import { KerasLayer } from '../src/model/keras-layer.ts';
import { halfPixelResize, type KerasLayerFile } from '../src/io/keras-model.ts';
import { buildLayer } from '../src/model/build.ts';
import { ConvscopeError } from '../src/errors.ts';
import { Tensor, formatShape } from '../src/tensor.ts';
import type { LayerSpec } from '../src/model/spec.ts';
import type { Layer } from '../src/layers/layer.ts';
import { goldenMismatch } from './helpers/tolerance.ts';

// LayerNormalization, Rescaling, Normalization, the inference-time identities, UpSampling2D,
// Cropping2D and Permute: every node's output and DeconvNet / SaliNet / DeSaliNet through them
// against PyTorch (test/golden/norm-shape/generate.py), SEMANTICS.md's tolerance.
const root = join(import.meta.dirname, '..');
const goldenDir = join(root, 'test', 'golden', 'norm-shape');

interface Manifest {
  model: string;
  input: string;
  nodes: { name: string; className: string; output: string }[];
  backward: { node: string; method: BackwardMethod; channel: number; unit: 'all' | 'max'; file: string }[];
  classes: number[];
}


const argmax = (t: Tensor): number[] => {
  const k = t.shape[1];
  return Array.from({ length: t.shape[0] }, (_, r) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (t.data[r * k + j] > t.data[r * k + best]) best = j;
    return best;
  });
};

for (const name of readdirSync(goldenDir).filter((d) => !d.includes('.'))) {
  const dir = join(goldenDir, name);
  const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

  test(`${name}: every node's output matches PyTorch`, async () => {
    const model = await loadModel(join(root, manifest.model));
    const input = await readNpyTensor(join(dir, manifest.input));
    const result = model.forward(input);
    for (const node of manifest.nodes) {
      const record = result.records.get(node.name);
      assert.ok(record, `node ${node.name} missing from the forward record`);
      assert.is(model.layers[model.layerIndex(node.name)].type, node.className);
      const problem = goldenMismatch(record.output, await readNpyTensor(join(dir, node.output)));
      assert.is(problem, null, `${node.name} output: ${problem}`);
    }
    assert.equal(argmax(result.output), manifest.classes);
  });

  test(`${name}: DeconvNet, SaliNet and DeSaliNet from several nodes match PyTorch`, async () => {
    const model = await loadModel(join(root, manifest.model));
    const input = await readNpyTensor(join(dir, manifest.input));
    for (const b of manifest.backward) {
      const r = backwardNet(model, input, { layer: b.node, channel: b.channel, unit: b.unit, method: b.method });
      const problem = goldenMismatch(r, await readNpyTensor(join(dir, b.file)));
      assert.is(problem, null, `${b.method} from ${b.node} channel ${b.channel} (${b.unit}): ${problem}`);
    }
  });

  test(`${name}: the folder format holds every param and loads identically`, async () => {
    const model = await loadModel(join(root, manifest.model));
    const again = new Model(readModelFolder(modelFolderFiles(model.spec)));
    const input = await readNpyTensor(join(dir, manifest.input));
    assert.equal(Array.from(again.forward(input).output.data), Array.from(model.forward(input).output.data));
  });
}

// --- the backward rules of the linear shape layers are adjoints: <A x, y> = <x, A^T y> ---

function dot(a: Tensor, b: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}

function random(shape: number[], seed: number): Tensor {
  let state = seed;
  return new Tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  }));
}

function spec(type: LayerSpec['type'], params: LayerSpec['params'], weights: LayerSpec['weights'] = {}): LayerSpec {
  return { name: 'l', type, activation: 'linear', params, weights };
}

const LINEAR: [string, LayerSpec, number[]][] = [
  ['UpSampling2D nearest 2x3', spec('UpSampling2D', { size: [2, 3], interpolation: 'nearest', halfPixel: true }), [2, 3, 4]],
  ['UpSampling2D bilinear half-pixel 3x2', spec('UpSampling2D', { size: [3, 2], interpolation: 'bilinear', halfPixel: true }), [2, 4, 5]],
  ['UpSampling2D bilinear legacy 2x2', spec('UpSampling2D', { size: [2, 2], interpolation: 'bilinear', halfPixel: false }), [1, 3, 3]],
  ['Cropping2D [1, 0, 2, 1]', spec('Cropping2D', { cropping: [1, 0, 2, 1] }), [3, 4, 5]],
  ['Permute [2, 0, 1]', spec('Permute', { perm: [2, 0, 1] }), [2, 3, 4]],
  ['Permute [1, 2, 0]', spec('Permute', { perm: [1, 2, 0] }), [2, 3, 4]],
  ['Rescaling per channel', spec('Rescaling', { scale: [0.5, -2], offset: 0.25, axis: 0 }), [2, 3, 3]],
];

for (const [what, layerSpec, shape] of LINEAR) {
  test(`${what}: its backward rule is the adjoint of its forward`, () => {
    const layer: Layer = buildLayer(layerSpec, [shape]);
    const x = random([2, ...shape], 7);
    const record = layer.forward(x);
    const shift = layer.forward(Tensor.zeros(x.shape)).output; // an affine layer's offset
    const ax = new Tensor(record.output.shape, record.output.data.map((v, i) => v - shift.data[i]));
    const y = random([2, ...layer.outputShape], 11);
    const aty = layer.backward(y, record, 'salinet');
    const lhs = dot(ax, y);
    const rhs = dot(x, aty);
    assert.ok(Math.abs(lhs - rhs) <= 1e-5 * Math.max(1, Math.abs(lhs)), `<Ax, y> ${lhs} vs <x, A^T y> ${rhs}`);
  });
}

test('LayerNormalization: its backward rule is its gradient, the same under every rule', () => {
  const gamma = random([3, 1, 1], 3);
  const layer = buildLayer(spec('LayerNormalization', { axes: [0], epsilon: 1e-3 }, { gamma }), [[3, 2, 2]]);
  const x = random([1, 3, 2, 2], 5);
  const r = random([1, 3, 2, 2], 9);
  const record = layer.forward(x);
  const grad = layer.backward(r, record, 'salinet');
  assert.equal(Array.from(layer.backward(r, record, 'deconvnet').data), Array.from(grad.data));
  const h = 1e-3;
  for (let i = 0; i < x.size; i++) {
    const at = (d: number) => {
      const xd = x.clone();
      xd.data[i] += d;
      return dot(layer.forward(xd).output, r);
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    assert.ok(Math.abs(numeric - grad.data[i]) < 2e-3, `element ${i}: finite difference ${numeric} vs ${grad.data[i]}`);
  }
});

// --- Keras configs: the conversions and the refusals ---

function kerasLayer(className: string, config: Record<string, unknown>, weights: Record<string, number[]> = {}, major: 2 | 3 = 2, dataFormat: 'channels_first' | 'channels_last' = 'channels_last', halfPixel = true) {
  const file: KerasLayerFile = {
    name: 'x', className, config: { name: 'x', ...config }, calls: [],
    weights: Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }])),
  };
  return new KerasLayer(file, dataFormat, major, 'x', halfPixel);
}

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (err) {
    if (err instanceof ConvscopeError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

test('UpSampling2D: an interpolation other than nearest and bilinear is refused in one line naming the choices', () => {
  const r = refusal(() => convertKerasLayer(kerasLayer('UpSampling2D', { size: [2, 2], interpolation: 'bicubic' }), [[3, 4, 4]]));
  assert.is(r.code, 'E_UNSUPPORTED');
  assert.is(r.message, "layer 'x' (UpSampling2D): interpolation 'bicubic' is not supported; valid choices: nearest, bilinear");
});

test('UpSampling2D: bilinear has half-pixel centres but in standalone Keras <= 2.3 and tfjs files', () => {
  const file = (format: 'keras2-h5' | 'keras3-zip' | 'tfjs-layers', kerasVersion: string) => halfPixelResize({ format, kerasVersion });
  assert.is(file('keras2-h5', '2.2.4'), false);
  assert.is(file('keras2-h5', '2.3.1'), false);
  assert.is(file('keras2-h5', '2.2.4-tf'), true);
  assert.is(file('keras2-h5', '2.11.0'), true);
  assert.is(file('keras3-zip', '3.3.3'), true);
  assert.is(file('tfjs-layers', 'tfjs-layers 4.22.0'), false);
});

test('LayerNormalization: Keras 3 axis -1 and rms_scaling', () => {
  const ln = convertKerasLayer(kerasLayer('LayerNormalization', { axis: -1, epsilon: 1e-6, center: false, scale: true, rms_scaling: false }, { gamma: [1, 2, 3] }, 3), [[3, 2, 2]]);
  assert.equal(ln.params, { axes: [0], epsilon: 1e-6 });
  assert.equal(ln.weights.gamma.shape, [3, 1, 1]);
  const r = refusal(() => convertKerasLayer(kerasLayer('LayerNormalization', { axis: -1, rms_scaling: true }, { gamma: [1, 2, 3] }, 3), [[3, 2, 2]]));
  assert.is(r.code, 'E_UNSUPPORTED');
  assert.match(r.message, /^layer 'x' \(LayerNormalization\): rms_scaling is not supported/);
});

test('LayerNormalization on a (K) vector normalises its features', () => {
  const ln = convertKerasLayer(kerasLayer('LayerNormalization', { axis: [1], epsilon: 0 }, { gamma: [1, 1, 1, 1], beta: [0, 0, 0, 1] }), [[4]]);
  const out = buildLayer(ln, [[4]]).forward(new Tensor([1, 4], [1, 2, 3, 6])).output;
  // mean 3, biased variance 3.5
  assert.equal(Array.from(out.data, (v) => Math.round(v * 1e4) / 1e4), [-1.069, -0.5345, 0, 2.6036]);
});

test('Normalization: the batch axis is refused; axis null keeps one scalar mean', () => {
  const r = refusal(() => convertKerasLayer(kerasLayer('Normalization', { axis: [0], mean: 0, variance: 1 }), [[3, 2, 2]]));
  assert.is(r.code, 'E_UNSUPPORTED');
  assert.match(r.message, /^layer 'x' \(Normalization\): config\.axis: \[0\] is not a list of axes/);
  const all = convertKerasLayer(kerasLayer('Normalization', { axis: null, mean: 2, variance: 4, invert: true }), [[3, 2, 2]]);
  assert.equal(all.weights.mean.shape, [1, 1, 1]);
  const layer = buildLayer(all, [[3, 2, 2]]);
  assert.equal(Array.from(layer.forward(new Tensor([1, 3, 2, 2], new Array(12).fill(1))).output.data), new Array(12).fill(4)); // 2 + 1 * sqrt(4)
});

test('Rescaling: Keras 3 serializes a numpy scale, on the channel axis of a channels_first map', () => {
  const numpyScale = { class_name: '__numpy__', config: { value: [0.5, 2], dtype: 'float32' } };
  const k3 = convertKerasLayer(kerasLayer('Rescaling', { scale: numpyScale, offset: 0 }, {}, 3, 'channels_first'), [[2, 3, 3]]);
  assert.equal(k3.params, { scale: [0.5, 2], offset: 0, axis: 0 });
  const k2 = convertKerasLayer(kerasLayer('Rescaling', { scale: [1, 2, 3], offset: 0 }, {}, 2, 'channels_first'), [[2, 3, 3]]);
  assert.equal(k2.params.axis, 2, 'Keras 2 broadcasts a list over the last axis, the width of a channels_first map');
});

test('Permute: dims that are not a permutation are refused in one line', () => {
  const r = refusal(() => convertKerasLayer(kerasLayer('Permute', { dims: [1, 1, 3] }), [[3, 2, 2]]));
  assert.is(r.message, "layer 'x' (Permute): config.dims [1, 1, 3] is not a permutation of the axes 1..3 of its [2, 2, 3] input");
});

test('Cropping2D: a crop that leaves nothing is refused', () => {
  const r = refusal(() => buildLayer(spec('Cropping2D', { cropping: [2, 2, 0, 0] }), [[1, 4, 4]]));
  assert.is(r.message, "layer 'l' (Cropping2D): cropping [2, 2, 0, 0] (top, bottom, left, right) leaves nothing of its [1, 4, 4] input");
});

test.run();
