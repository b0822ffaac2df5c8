import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readTfjsLayers } from '../src/io/tfjs-layers.ts';
import { readKerasH5 } from '../src/io/keras-h5.ts';
import { float16ToFloat32 } from '../src/io/float16.ts';
import { parseNpy } from '../src/io/npy.ts';
import type { KerasGraph, KerasLayerFile, KerasModelFile } from '../src/io/keras-model.ts';
import { loadModel as loadModelCore } from '../src/model/load.ts';
import { loadModel } from '../src/node/load-model.ts';
import { Tensor } from '../src/tensor.ts';
import { randomTensor, seededRandom } from './helpers/random.ts';
import { refused } from './helpers/model-errors.ts';
import { root } from './helpers/cli.ts';

// test/fixtures/models/tfjs/: written by to_tfjs.py --fixtures from the .h5 fixtures beside it,
// as tensorflowjs_converter --input_format keras writes them.
const MODELS = join(root, 'test', 'fixtures', 'models');
const TFJS = join(MODELS, 'tfjs');

/** A converted folder's files by name, as the core's { files } takes them. */
function folderFiles(name: string): Record<string, Uint8Array> {
  const dir = join(TFJS, name);
  return Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
}

function readTfjs(name: string, edit?: (files: Record<string, Uint8Array>) => void): Promise<KerasModelFile> {
  const files = folderFiles(name);
  edit?.(files);
  return readTfjsLayers(files['model.json'], (path) => files[path], `${name}/model.json`);
}

const readH5 = (name: string) => readKerasH5(new Uint8Array(readFileSync(join(MODELS, `${name}.h5`))), `${name}.h5`);

function leaves(graph: KerasGraph): KerasLayerFile[] {
  return graph.layers.flatMap((l) => (l.model ? leaves(l.model) : [l]));
}

interface Manifest {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; scale?: number; min?: number } }[];
}
const manifestOf = (name: string): Manifest[] => JSON.parse(readFileSync(join(TFJS, name, 'model.json'), 'utf8')).weightsManifest;

const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const editJson = (files: Record<string, Uint8Array>, edit: (json: any) => void) => {
  const json = JSON.parse(new TextDecoder().decode(files['model.json']));
  edit(json);
  files['model.json'] = jsonBytes(json);
};

const PLAIN = ['functional_pool_model', 'channels_last_model', 'branching_model', 'norm_shape_last', 'norm_shape_first', 'norm_shape_legacy'];
for (const [tfjs, h5] of PLAIN.map((name) => [name, name])) {
  test(`${tfjs}: the same layers, configs and weights (bit for bit) as ${h5}.h5`, async () => {
    const [a, b] = await Promise.all([readTfjs(tfjs), readH5(h5)]);
    assert.is(a.format, 'tfjs-layers');
    assert.is(a.kerasVersion, b.kerasVersion);
    assert.is(a.backend, 'tensorflow');
    assert.is(a.kind, b.kind);
    assert.equal(a.layers.map((l) => [l.name, l.className, l.config, l.calls]), b.layers.map((l) => [l.name, l.className, l.config, l.calls]));
    for (const [la, lb] of leaves(a).map((l, i) => [l, leaves(b)[i]])) {
      assert.equal(Object.keys(la.weights).sort(), Object.keys(lb.weights).sort(), la.name);
      for (const key of Object.keys(lb.weights)) {
        assert.equal(la.weights[key].shape, lb.weights[key].shape);
        assert.equal(la.weights[key].data, lb.weights[key].data, `${la.name}/${key}`);
      }
    }
  });
}

// Every graph fixture converted by to_tfjs.py --fixtures: read as its .h5 is, weights bit for bit.
const GRAPHS = join(TFJS, 'graphs');
for (const name of existsSync(GRAPHS) ? readdirSync(GRAPHS) : []) {
  test(`graphs/${name}: the same layers, configs and weights as graphs/${name}.h5`, async () => {
    const [a, b] = await Promise.all([readTfjs(`graphs/${name}`), readH5(`graphs/${name}`)]);
    assert.equal(JSON.stringify(stripWeights(a)), JSON.stringify(stripWeights(b)));
    const wa = leaves(a).map((l) => Object.entries(l.weights).sort());
    const wb = leaves(b).map((l) => Object.entries(l.weights).sort());
    assert.equal(wa, wb);
  });
}

/** The graph of a model file without its weights or its file-specific fields. */
function stripWeights(graph: KerasGraph): unknown {
  return { kind: graph.kind, name: graph.name, inputs: graph.inputs, outputs: graph.outputs, layers: graph.layers.map((l) => ({ ...l, weights: Object.keys(l.weights).sort(), model: l.model && stripWeights(l.model) })) };
}

test('channels_last_model: three shards of 1024 bytes read as one stream; the model predicts exactly as the .h5', async () => {
  assert.equal(manifestOf('channels_last_model')[0].paths, ['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
  const [a, b] = await Promise.all([loadModel(join(TFJS, 'channels_last_model', 'model.json')), loadModel(join(MODELS, 'channels_last_model.h5'))]);
  const x = randomTensor(seededRandom(7), [3, ...b.inputShape]);
  assert.equal(a.predict(x).data, b.predict(x).data);
});

// Not norm_shape_last and _first: their bilinear UpSampling2D follows TensorFlow.js's resize (no half-pixel centres), not tf.keras 2's.
test('plain fixtures predict bit for bit as their .h5 (a chain, a functional chain, a residual graph, the norm/shape layers of Keras 2.2)', async () => {
  for (const name of ['channels_last_model', 'functional_pool_model', 'branching_model', 'norm_shape_legacy']) {
    const [a, b] = await Promise.all([loadModel(join(TFJS, name)), loadModel(join(MODELS, `${name}.h5`))]);
    const x = randomTensor(seededRandom(13), [2, ...b.inputShape]);
    assert.equal(a.predict(x).data, b.predict(x).data, name);
  }
});

test('branching_model: split by layer, one weight group (and file) per layer with weights', () => {
  assert.equal(manifestOf('branching_model').map((g) => [g.paths, g.weights.map((w) => w.name)]), [
    [['group1-shard1of1.bin'], ['conv_a/kernel', 'conv_a/bias']],
    [['group2-shard1of1.bin'], ['conv_b/kernel', 'conv_b/bias']],
  ]);
});

/** |dequantized - original| per weight: within half a step (uint8/uint16) or half float16's relative spacing. */
for (const q of ['uint8', 'uint16', 'float16']) {
  const name = `channels_last_model_${q}`;
  test(`${name}: dequantized weights equal numpy's bit for bit, and lie within the quantization error of the .h5's`, async () => {
    const [a, b] = await Promise.all([readTfjs(name), readH5('channels_last_model')]);
    const expected = parseNpy(new Uint8Array(readFileSync(join(TFJS, `${name}.dequantized.npy`)))).data as Float32Array;
    const byLayer = new Map(leaves(b).map((l) => [l.name, l]));
    let at = 0;
    for (const w of manifestOf(name).flatMap((g) => g.weights)) {
      const [layer, key] = w.name.split('/');
      const got = leaves(a).find((l) => l.name === layer)!.weights[key].data;
      assert.equal(got, expected.subarray(at, at + got.length), `${w.name} against numpy`);
      at += got.length;
      assert.is(w.quantization?.dtype, q);
      const original = byLayer.get(layer)!.weights[key].data;
      const bound = (v: number) => (q === 'float16' ? Math.abs(v) * 2 ** -11 + 2 ** -25 : (w.quantization!.scale! / 2) * (1 + 1e-6));
      const worst = original.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v) - bound(v)), -Infinity);
      assert.ok(worst <= 0, `${w.name}: off by ${worst} beyond the quantization error`);
    }
    assert.is(at, expected.length);
  });
}

test('quantized models predict as the .h5 within their quantization error (uint8 5%, uint16 and float16 0.1% of the largest output)', async () => {
  const reference = await loadModel(join(MODELS, 'channels_last_model.h5'));
  const x = randomTensor(seededRandom(11), [4, ...reference.inputShape]);
  const want = reference.predict(x).data;
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (const [q, tolerance] of [['uint8', 5e-2], ['uint16', 1e-3], ['float16', 1e-3]] as const) {
    const got = (await loadModel(join(TFJS, `channels_last_model_${q}`))).predict(x).data;
    const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
    assert.ok(worst <= tolerance * scale, `${q}: off by ${worst}`);
  }
});

test('mnist_model_uint8 (Keras 2.0.5, 87,818 weights in one byte each) classifies the golden digit as the .h5 does', async () => {
  const [a, b] = await Promise.all([loadModel(join(TFJS, 'mnist_model_uint8')), loadModel(join(MODELS, 'mnist_model.h5'))]);
  const digit = parseNpy(new Uint8Array(readFileSync(join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy'))));
  const x = new Tensor(digit.shape.length === 3 ? [1, ...digit.shape] : digit.shape, Float32Array.from(digit.data as Float32Array));
  const [pa, pb] = [a.predict(x).data, b.predict(x).data];
  const argmax = (p: Float32Array) => p.indexOf(Math.max(...p));
  assert.is(argmax(pa), argmax(pb));
  assert.ok(pa.every((v, i) => Math.abs(v - pb[i]) < 0.05), `${[...pa]} vs ${[...pb]}`);
});

test("tfjs-layers' own model.save form: bare topology, keras_version 'tfjs-layers', backend 'tensor_flow.js', './' paths, from { files }", async () => {
  const files = folderFiles('functional_pool_model');
  const json = JSON.parse(new TextDecoder().decode(files['model.json']));
  const saved = {
    modelTopology: { ...json.modelTopology.model_config, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    weightsManifest: [{ paths: ['./model.weights.bin'], weights: json.weightsManifest[0].weights }],
  };
  const file = await readTfjsLayers(jsonBytes(saved), (p) => (p === 'model.weights.bin' ? files['group1-shard1of1.bin'] : undefined));
  assert.is(file.kerasVersion, 'tfjs-layers 4.22.0');
  assert.is(file.backend, 'tensorflow');
  const [a, b] = await Promise.all([
    loadModelCore({ files: { 'model.json': jsonBytes(saved), 'model.weights.bin': files['group1-shard1of1.bin'] } }),
    loadModel(join(MODELS, 'functional_pool_model.h5')),
  ]);
  const x = randomTensor(seededRandom(3), [2, ...b.inputShape]);
  assert.equal(a.predict(x).data, b.predict(x).data);
});

/** A Teachable-Machine-shaped model: a Sequential whose first layer is a nested Sequential. */
function nestedModel(names: { conv: string; dense: string; outerDense?: string }) {
  const conv = { class_name: 'Conv2D', config: { name: 'dense', filters: 2, kernel_size: [1, 1], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true, batch_input_shape: [null, 2, 2, 1], dtype: 'float32' } };
  const inner = { class_name: 'Sequential', config: { name: 'base', layers: [conv, { class_name: 'Flatten', config: { name: 'flatten', data_format: 'channels_last' } }] } };
  const dense = { class_name: 'Dense', config: { name: 'dense', units: 1, activation: 'linear', use_bias: true } };
  const json = {
    format: 'layers-model',
    modelTopology: { class_name: 'Sequential', config: { name: 'outer', layers: [inner, { ...dense, config: { ...dense.config, name: names.outerDense ?? 'head' } }] }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: ['weights.bin'], weights: [
      { name: `${names.conv}/kernel`, shape: [1, 1, 1, 2], dtype: 'float32' }, { name: `${names.conv}/bias`, shape: [2], dtype: 'float32' },
      { name: `${names.dense}/kernel`, shape: [8, 1], dtype: 'float32' }, { name: `${names.dense}/bias`, shape: [1], dtype: 'float32' },
    ] }],
  };
  const bin = new Float32Array([2, -1, 0.5, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0.25]);
  return { json: jsonBytes(json), bin: new Uint8Array(bin.buffer) };
}

test('a nested model: weights go to the inner layer whether or not the outer model names it; same-named layers are told apart by scope', async () => {
  for (const names of [{ conv: 'dense', dense: 'head' }, { conv: 'base/dense', dense: 'head' }, { conv: 'outer/base/dense', dense: 'outer/head' }, { conv: 'base/dense', dense: 'dense', outerDense: 'dense' }]) {
    const { json, bin } = nestedModel(names);
    const file = await readTfjsLayers(json, () => bin);
    const [inner, head] = [file.layers[0].model!.layers[0], file.layers[1]];
    assert.equal([...inner.weights.kernel.data, ...inner.weights.bias.data], [2, -1, 0.5, 0], JSON.stringify(names));
    assert.equal([...head.weights.bias.data], [0.25], JSON.stringify(names));
  }
  const model = await loadModelCore({ files: { 'model.json': nestedModel({ conv: 'dense', dense: 'head' }).json, 'weights.bin': nestedModel({ conv: 'dense', dense: 'head' }).bin } });
  // relu(2x + 0.5), relu(-x) per pixel, summed: x = 1 -> 4 * 2.5 + 0.25
  assert.equal([...model.predict(new Tensor([1, 1, 2, 2], new Float32Array([1, 1, 1, 1]))).data], [10.25]);
  const { json, bin } = nestedModel({ conv: 'dense', dense: 'dense', outerDense: 'dense' });
  assert.match(await refused(() => readTfjsLayers(json, () => bin), 'E_FORMAT'), "weightsManifest lists the weight 'dense/kernel' twice");
});

test("Teachable Machine's nesting: a Sequential of a Sequential (a functional base and a pooling layer) and a Sequential head", async () => {
  const base = { class_name: 'Model', config: { name: 'model1', layers: [
    { name: 'input_1', class_name: 'InputLayer', config: { batch_input_shape: [null, 2, 2, 3], dtype: 'float32', sparse: false, name: 'input_1' }, inbound_nodes: [] },
    { name: 'Conv1', class_name: 'Conv2D', config: { name: 'Conv1', trainable: true, filters: 2, kernel_size: [1, 1], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: false }, inbound_nodes: [[['input_1', 0, 0, {}]]] },
  ], input_layers: [['input_1', 0, 0]], output_layers: [['Conv1', 0, 0]] } };
  const pool = { class_name: 'GlobalAveragePooling2D', config: { name: 'global_average_pooling2d_GlobalAveragePooling2D1', trainable: true, data_format: 'channels_last' } };
  const head = { class_name: 'Dense', config: { units: 2, activation: 'linear', use_bias: true, name: 'dense_Dense1', trainable: true, batch_input_shape: [null, 2], dtype: 'float32' } };
  const json = {
    modelTopology: { class_name: 'Sequential', config: { name: 'sequential_4', layers: [
      { class_name: 'Sequential', config: { name: 'sequential_1', layers: [base, pool] } },
      { class_name: 'Sequential', config: { name: 'sequential_3', layers: [head] } },
    ] }, keras_version: 'tfjs-layers 1.3.1', backend: 'tensor_flow.js' },
    format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v1.3.1', convertedBy: null,
    weightsManifest: [{ paths: ['./weights.bin'], weights: [
      { name: 'Conv1/kernel', shape: [1, 1, 3, 2], dtype: 'float32' }, { name: 'dense_Dense1/kernel', shape: [2, 2], dtype: 'float32' }, { name: 'dense_Dense1/bias', shape: [2], dtype: 'float32' },
    ] }],
  };
  // Conv1: channel 0 sums R, G, B; channel 1 is -B. Dense: (c0 + 10 c1, c0 - c1) + (0.5, -0.5).
  const weights = new Float32Array([1, 0, 1, 0, 1, -1, 1, 1, 10, -1, 0.5, -0.5]);
  const model = await loadModelCore({ files: { 'model.json': jsonBytes(json), 'weights.bin': new Uint8Array(weights.buffer) } });
  assert.equal(model.layers.map((l) => l.name).slice(-3), ['sequential_1', 'sequential_3/dense_Dense1', 'sequential_3']);
  // channels-first input: R = 1, G = 2, B = -1 at (0, 0) and 0 elsewhere; c0 = relu(2) / 4, c1 = relu(1) / 4
  const x = new Tensor([1, 3, 2, 2], new Float32Array([1, 0, 0, 0, 2, 0, 0, 0, -1, 0, 0, 0]));
  assert.equal([...model.predict(x).data], [0.5 + 10 * 0.25 + 0.5, 0.5 - 0.25 - 0.5]);
});

test('float16: every kind of half value decodes to its exact float32', () => {
  const cases: [number, number][] = [
    [0x0000, 0], [0x8000, -0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504],
    [0x0400, 2 ** -14], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x7c00, Infinity], [0xfc00, -Infinity],
  ];
  for (const [bits, value] of cases) assert.ok(Object.is(float16ToFloat32(bits), value), `0x${bits.toString(16)}: ${float16ToFloat32(bits)}`);
  assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
});

test('bad files: one line each, naming the file and the problem', async () => {
  const name = 'functional_pool_model';
  const cases: [(f: Record<string, Uint8Array>) => void, string, RegExp][] = [
    [(f) => delete f['group1-shard1of1.bin'], 'E_NOT_FOUND', /model\.json: the weight file 'group1-shard1of1\.bin' that its weightsManifest lists is missing/],
    [(f) => (f['group1-shard1of1.bin'] = f['group1-shard1of1.bin'].subarray(0, 100)), 'E_FORMAT', /group1-shard1of1\.bin is short: the weights of group 1 take 812 bytes but its files \(group1-shard1of1\.bin\) hold 100; a file is truncated/],
    [(f) => (f['group1-shard1of1.bin'] = new Uint8Array(900)), 'E_FORMAT', /hold 900 bytes but its weights take 812; they do not belong to this model\.json/],
    [(f) => (f['model.json'] = new TextEncoder().encode('{"modelTopology": ')), 'E_FORMAT', /model\.json: not valid JSON/],
    [(f) => editJson(f, (j) => (j.weightsManifest[0].weights[0].dtype = 'float64')), 'E_FORMAT', /weight 'conv\/kernel' has dtype "float64"; expected one of float32, int32, bool, complex64, string/],
    [(f) => editJson(f, (j) => (j.weightsManifest[0].weights[0].dtype = 'complex64')), 'E_UNSUPPORTED', /weight 'conv\/kernel' has dtype 'complex64'; convscope reads float32 and int32 weights/],
    [(f) => editJson(f, (j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'int4', scale: 1, min: 0 })), 'E_FORMAT', /weight 'conv\/kernel' has the quantization "int4"; expected uint8, uint16 or float16/],
    [(f) => editJson(f, (j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', original_dtype: 'float32' })), 'E_FORMAT', /quantized to uint8 without a finite scale and min/],
    [(f) => editJson(f, (j) => (j.modelTopology.model_config = { class_name: 'Conv2D', config: {} })), 'E_FORMAT', /modelTopology\.model_config has class_name "Conv2D"; expected Sequential, Model or Functional/],
    [(f) => editJson(f, (j) => (j.modelTopology = null)), 'E_FORMAT', /has no modelTopology, only weights/],
    [(f) => editJson(f, (j) => ((j.format = 'graph-model'), (j.modelTopology = { node: [] }))), 'E_UNSUPPORTED', /is a TensorFlow\.js graph model/],
    [(f) => editJson(f, (j) => (j.weightsManifest[0].paths = ['../group1-shard1of1.bin'])), 'E_UNSUPPORTED', /convscope reads weight files that sit beside model\.json/],
    [(f) => editJson(f, (j) => (j.weightsManifest[0].weights[0].name = 'layers/conv/vars/0')), 'E_UNSUPPORTED', /converted from a Keras 3 model/],
    [(f) => editJson(f, (j) => (j.modelTopology.keras_version = '3.3.3')), 'E_UNSUPPORTED', /was converted from a Keras 3\.3\.3 model.*load the Keras 3 \.keras file itself/],
    [(f) => editJson(f, (j) => (j.weightsManifest[0].weights[0].name = 'nowhere/kernel')), 'E_FORMAT', /weight 'nowhere\/kernel', which belongs to none of the model's layers \(image, conv, pool/],
  ];
  for (const [edit, code, pattern] of cases) {
    const message = await refused(() => readTfjs(name, edit), code as 'E_FORMAT');
    assert.match(message, pattern);
    assert.ok(message.startsWith(`${name}/model.json`), message);
  }
});

test('int32 weights are read as numbers, uint8-quantized ones rounded to whole numbers as tfjs does', async () => {
  const file = await readTfjs('functional_pool_model', (f) => {
    editJson(f, (j) => {
      const bias = j.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'conv/bias');
      bias.dtype = 'int32';
      const kernel = j.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'logits/bias');
      kernel.dtype = 'int32';
      kernel.quantization = { dtype: 'uint8', min: -2, scale: 0.3, original_dtype: 'int32' };
    });
    // conv/kernel (162 values), conv/bias (6), logits/kernel (30), logits/bias (5): the order of the manifest
    const bin = new Uint8Array((162 + 6 + 30) * 4 + 5);
    new Int32Array(bin.buffer, 162 * 4, 6).set([-3, 0, 1, 2, 1 << 20, -7]);
    bin.set([0, 1, 2, 5, 10], (162 + 6 + 30) * 4);
    f['group1-shard1of1.bin'] = bin;
  });
  const byName = new Map(file.layers.map((l) => [l.name, l]));
  assert.equal([...byName.get('conv')!.weights.bias.data], [-3, 0, 1, 2, 1 << 20, -7]);
  assert.equal([...byName.get('logits')!.weights.bias.data], [-2, -2, -1, 0, 1]); // Math.round(-0.5) is 0, as in tfjs
});

test("a manifest weight whose shape does not fit its layer names the layer, the weight and its shape", async () => {
  const files = folderFiles('functional_pool_model');
  editJson(files, (j) => (j.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'logits/kernel').shape = [3, 10]));
  assert.match(await refused(() => loadModelCore({ files }), 'E_FORMAT'), /layer 'logits' \(Dense\): kernel has shape \[3, 10\] but the layer has 5 units/);
});

test('from a URL: the weight files are fetched relative to model.json; a missing one is named', async () => {
  const server = createServer((req, res) => {
    const path = join(TFJS, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    try {
      const body = readFileSync(path);
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const [a, b] = await Promise.all([loadModelCore(new URL('channels_last_model/model.json', base)), loadModel(join(TFJS, 'channels_last_model'))]);
    const x = randomTensor(seededRandom(9), [1, ...b.inputShape]);
    assert.equal(a.predict(x).data, b.predict(x).data);
    assert.match(await refused(() => loadModelCore(new URL('functional_pool_model/nothing.json', base)), 'E_IO'), /nothing\.json: HTTP 404/);
  } finally {
    server.close();
  }
});

test.run();
