import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readKerasZip } from '../src/io/keras-zip.ts';
import { readKerasH5 } from '../src/io/keras-h5.ts';
import { toSnakeCase } from '../src/io/keras3-weights.ts';
import { keras2FormOf } from '../src/io/keras3-config.ts';
import { Tensor } from '../src/tensor.ts';
import { cli, failureLine, root } from './helpers/cli.ts';
import { copyH5, editKeras } from './helpers/keras-zip-edit.ts';
import { refused } from './helpers/model-errors.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { tmpdir } from 'node:os';

// Keras 3 files: test/fixtures/models/keras3/ holds Keras 2 fixtures as Keras 3 saves them
// (to_keras3.py) and models that Keras 3.15.1 wrote itself (make_native.py), with Keras's own
// outputs on seeded inputs (reference.json), an implementation independent of ours.
const models = join(root, 'test', 'fixtures', 'models');
const dir = join(models, 'keras3');
const reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as {
  keras_version: string;
  models: Record<string, { input_shape: number[]; input: number[]; outputs: Record<string, { shape: number[]; values: number[] }> }>;
};

/** Keras's (H, W, C) order of a channels_last map as the engine's (C, H, W); anything else as it is. */
function engineOrder(values: number[], shape: number[], channelsLast: boolean): { shape: number[]; data: Float32Array } {
  if (shape.length !== 3 || !channelsLast) return { shape, data: Float32Array.from(values) };
  const [h, w, c] = shape;
  const data = new Float32Array(values.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(k * h + y) * w + x] = values[(y * w + x) * c + k];
  return { shape: [c, h, w], data };
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.is(actual.length, expected.length, `${what}: size`);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
    maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(maxErr <= 1e-4 * maxRef + 1e-6, `${what}: max error ${maxErr} (max |ref| ${maxRef})`);
}

for (const [file, ref] of Object.entries(reference.models)) {
  test(`${file}: every output equals Keras ${reference.keras_version}'s`, async () => {
    const model = await loadModel(join(dir, file));
    const channelsLast = model.spec.dataFormat === 'channels_last';
    const input = engineOrder(ref.input, ref.input_shape, channelsLast);
    assert.equal([...model.inputShape], input.shape);
    for (const [name, out] of Object.entries(ref.outputs)) {
      const expected = engineOrder(out.values, out.shape, channelsLast);
      const actual = model.predict(new Tensor(input.shape, input.data), name);
      assert.equal([...actual.shape], expected.shape, `${file} ${name}: shape`);
      assertClose(actual.data, expected.data, `${file} output ${name}`);
    }
  });
}

test('the Keras 3 files of a Keras 2 model give the same model: layers, weights and every node', async () => {
  for (const name of ['functional_pool_model', 'channels_last_model']) {
    const keras2 = await loadModel(join(models, `${name}.h5`));
    const [x] = [Tensor.zeros(keras2.inputShape)];
    for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(i * 0.37) + 0.5;
    const expected = keras2.forward(x).records;
    for (const file of [`${name}.keras`, `${name}.k3.h5`]) {
      const keras3 = await loadModel(join(dir, file));
      assert.equal(keras3.layerNames(), keras2.layerNames(), `${file}: layers`);
      keras2.spec.layers.forEach((l, i) => {
        const other = keras3.spec.layers[i];
        assert.equal([other.type, other.activation, other.params, other.inputs], [l.type, l.activation, l.params, l.inputs], `${file} ${l.name}`);
        assert.equal(Object.keys(other.weights).sort(), Object.keys(l.weights).sort(), `${file} ${l.name}: weights`);
        for (const [key, w] of Object.entries(l.weights)) assert.equal(other.weights[key].data, w.data, `${file} ${l.name}.${key}`);
      });
      const records = keras3.forward(x).records;
      for (const [layer, record] of expected) assert.equal(records.get(layer)!.output.data, record.output.data, `${file} ${layer}`);
    }
  }
});

test('the reader says which file it read: format, Keras version, provenance', async () => {
  const zip = await readKerasZip(new Uint8Array(readFileSync(join(dir, 'nested_shared.keras'))), 'nested_shared.keras');
  assert.is(zip.format, 'keras3-zip');
  assert.is(zip.kerasVersion, '3.15.1');
  assert.is(zip.provenance.source, 'nested_shared.keras');
  assert.match(zip.provenance.sha256, /^[0-9a-f]{64}$/);
  const h5 = await readKerasH5(new Uint8Array(readFileSync(join(dir, 'nested_shared.k3.h5'))), 'nested_shared.k3.h5');
  assert.is(h5.format, 'keras3-h5');
  assert.is(h5.backend, 'jax'); // Keras 3 keeps one weight layout whatever the backend
  // Keras 3 counts a nested Functional's calls from 1 in output_layers: the second output is base's first call.
  assert.equal(zip.outputs, [{ layer: 'head', node: 0, tensor: 0 }, { layer: 'base', node: 0, tensor: 0 }]);
  assert.equal(h5.outputs, zip.outputs);
  const shared = zip.layers.find((l) => l.name === 'shared')!;
  assert.equal(shared.calls, [[{ layer: 'gap', node: 0, tensor: 0 }], [{ layer: 'shared', node: 0, tensor: 0 }]]);
});

test("the archive's vars/<i> by position and the legacy .h5's weights by name agree, for each class with variables", async () => {
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  const zip = await readKerasZip(read('variables_zoo.keras'), 'variables_zoo.keras');
  const h5 = await readKerasH5(read('variables_zoo.k3.h5'), 'variables_zoo.k3.h5');
  const names = Object.fromEntries(zip.layers.map((l) => [l.name, Object.keys(l.weights)]));
  assert.equal(names, {
    image: [], conv: ['kernel', 'bias'], depthwise: ['depthwise_kernel', 'bias'], separable: ['depthwise_kernel', 'pointwise_kernel', 'bias'],
    transpose: ['kernel', 'bias'], layer_norm: ['gamma', 'beta'], prelu: ['alpha'], bn_no_center: ['gamma', 'moving_mean', 'moving_variance'],
    normalization: ['mean', 'variance', 'count'], gap: [], dense_no_bias: ['kernel'],
  });
  assert.equal(zip.layers.find((l) => l.name === 'depthwise')!.weights.depthwise_kernel.shape, [3, 3, 4, 2]);
  assert.equal(zip.layers.find((l) => l.name === 'normalization')!.weights.count.shape, []); // an int64 scalar, read as float
  for (const layer of zip.layers) {
    const other = h5.layers.find((l) => l.name === layer.name)!;
    assert.equal(Object.keys(other.weights).sort(), Object.keys(layer.weights).sort(), layer.name);
    for (const [key, w] of Object.entries(layer.weights)) assert.equal(other.weights[key], w, `${layer.name}.${key}`);
  }
});

test("Keras 3's config forms: an activation function written as an object, dict inputs, a tensor among a call's arguments", () => {
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const tensor = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [layer, 0, 0] } });
  const config = keras2FormOf({
    module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
    config: {
      name: 'm', layers: [
        { class_name: 'InputLayer', config: { name: 'x', batch_shape: [null, 4] }, name: 'x', inbound_nodes: [] },
        { class_name: 'Dense', config: { name: 'a', activation: { module: 'keras.activations', class_name: 'function', config: 'relu', registered_name: 'relu' } }, name: 'a', inbound_nodes: [{ args: [tensor('x')], kwargs: {} }] },
        { class_name: 'Dense', config: { name: 'b', activation: { module: 'my_package', class_name: 'function', config: 'mish2', registered_name: 'my>mish2' } }, name: 'b', inbound_nodes: [{ args: [tensor('x')], kwargs: { training: false } }] },
        { class_name: 'Add', config: { name: 'sum' }, name: 'sum', inbound_nodes: [{ args: [[tensor('a'), tensor('b')]], kwargs: {} }] },
      ],
      input_layers: { x: ['x', 0, 0] }, output_layers: ['sum', 0, 0],
    },
  }, fail) as any;
  assert.is(config.config.layers[1].config.activation, 'relu');
  assert.equal(config.config.layers[2].config.activation.config, 'mish2', 'a custom function stays an object: the converter refuses it by name');
  assert.equal(config.config.layers[3].inbound_nodes, [[['a', 0, 0, {}], ['b', 0, 0, {}]]]);
  assert.equal([config.config.input_layers, config.config.output_layers], [[['x', 0, 0]], [['sum', 0, 0]]]);
});

test("saving_lib's container names: the class in snake case (keras.src.utils.naming.to_snake_case)", () => {
  const cases = {
    Conv2D: 'conv2d', Dense: 'dense', BatchNormalization: 'batch_normalization', DepthwiseConv2D: 'depthwise_conv2d',
    Conv2DTranspose: 'conv2d_transpose', GlobalAveragePooling2D: 'global_average_pooling2d', ReLU: 're_lu', PReLU: 'p_re_lu',
    UpSampling2D: 'up_sampling2d', InputLayer: 'input_layer', Functional: 'functional', LayerNormalization: 'layer_normalization',
  };
  for (const [cls, snake] of Object.entries(cases)) assert.is(toSnakeCase(cls), snake, cls);
});


// Bad archives: each refused with one line that names the problem, by the library and the CLI (exit 1).
const POOL = join(dir, 'functional_pool_model.keras');
const encoder = new TextEncoder();

async function badFiles(): Promise<[string, Uint8Array, RegExp | string][]> {
  const whole = new Uint8Array(readFileSync(POOL));
  const weights = unzipSync(whole)['model.weights.h5'];
  const withoutDense = await copyH5(weights, ['layers/dense']);
  const extraVar = await copyH5(weights, [], { 'layers/conv2d/vars/2': [1, 2, 3] });
  return [
    ['truncated.keras', whole.subarray(0, whole.length >> 1), /^truncated\.keras: is not a readable zip archive, it may be truncated or damaged \(.+\); a Keras 3 \.keras file is a zip archive$/],
    ['no-config.keras', editKeras(POOL, (m) => delete m['config.json']),
      "no-config.keras: is a zip archive without config.json, so not a Keras 3 .keras model (it holds: metadata.json, model.weights.h5); save the model with model.save('model.keras')"],
    ['no-weights.keras', editKeras(POOL, (m) => delete m['model.weights.h5']), "no-weights.keras: has no model.weights.h5, so no weights; save the model with model.save('model.keras')"],
    ['missing-vars.keras', editKeras(POOL, (m) => (m['model.weights.h5'] = withoutDense)),
      "missing-vars.keras: model.weights.h5 has no variables for layer 'logits' (Dense) at layers/dense/vars; it should have kernel, bias"],
    ['not-json.keras', editKeras(POOL, (m) => (m['config.json'] = encoder.encode('{"class_name": "Functional", '))), 'not-json.keras: config.json is not valid JSON'],
    ['extra-var.keras', editKeras(POOL, (m) => (m['model.weights.h5'] = extraVar)),
      "extra-var.keras: layer 'conv' (Conv2D) should have 2 variables (kernel, bias) by its config, but model.weights.h5 has 3 at layers/conv2d/vars"],
  ];
}

test('bad .keras files: truncated, no config.json, no weights, a layer without its vars, config not JSON, a wrong number of vars', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'convscope-keras3-'));
  for (const [name, bytes, expected] of await badFiles()) {
    const message = await refused(() => readKerasZip(bytes, name), 'E_FORMAT');
    if (typeof expected === 'string') assert.is(message, expected);
    else assert.match(message, expected);
    const path = join(folder, name);
    writeFileSync(path, bytes);
    const r = cli(['info', path]);
    assert.is(r.status, 1, `exit code for ${name}: ${r.stderr}`);
    assert.ok(failureLine(r).includes(message.slice(name.length)), `${name}: ${failureLine(r)}`);
  }
});

test('convscope info and convert take a .keras file', () => {
  const info = cli(['info', join(dir, 'nested_shared.keras')]);
  assert.is(info.status, 0, info.stderr);
  assert.match(info.stdout, /base\/c1\s+Conv2D/);
  assert.match(info.stdout, /shared:1\s+Dense/);
  const out = join(mkdtempSync(join(tmpdir(), 'convscope-keras3-')), 'model');
  const convert = cli(['convert', join(dir, 'transfer.keras'), out]);
  assert.is(convert.status, 0, convert.stderr);
});

test.run();
