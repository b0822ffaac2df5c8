import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readKerasH5 } from '../src/io/keras-h5.ts';
import { readKerasZip } from '../src/io/keras-zip.ts';
import { readTfjsLayers } from '../src/io/tfjs-layers.ts';
import type { KerasGraph, KerasModelFile, KerasWeight } from '../src/io/keras-model.ts';
import { kerasWeights } from '../src/model/keras-weights.ts';
import { writeKerasH5 } from '../src/io/keras-h5-write.ts';
import { loadModel as loadModelBytes } from '../src/model/load.ts';
import { withH5File, stringListAttr, isGroup } from '../src/io/h5-file.ts';
import { seededRandom } from './helpers/random.ts';
import { kerasLayerOrder } from '../src/io/keras-layer-order.ts';
import { mnistCnn } from '../src/train/sequential.ts';
import { Trainer } from '../src/train/trainer.ts';
import { specFromKeras } from '../src/model/from-keras.ts';
import { Model } from '../src/model/model.ts';
import { Tensor } from '../src/tensor.ts';
import { refused } from './helpers/model-errors.ts';
import { root } from './helpers/cli.ts';

const MODELS = join(root, 'test', 'fixtures', 'models');
const GRAPHS = join(MODELS, 'graphs');

/** The file as its reader gives it (each read its own arrays, apart from the model's). */
async function readIr(path: string): Promise<KerasModelFile> {
  if (!/\.(h5|keras)$/.test(path)) {
    const files = Object.fromEntries(readdirSync(path).map((f) => [f, new Uint8Array(readFileSync(join(path, f)))]));
    return readTfjsLayers(files['model.json'], (p) => files[p]);
  }
  const bytes = new Uint8Array(readFileSync(path));
  return path.endsWith('.keras') ? readKerasZip(bytes) : readKerasH5(bytes);
}

/** Every layer's weights by its path ('outer/inner' in a nested model), as the file holds them. */
function fileWeights(graph: KerasGraph, prefix = '', out = new Map<string, Record<string, KerasWeight>>()): Map<string, Record<string, KerasWeight>> {
  for (const l of graph.layers) {
    if (l.model) fileWeights(l.model, `${prefix}${l.name}/`, out);
    else out.set(prefix + l.name, l.weights);
  }
  return out;
}

// Nested (transfer_*, nested_shared), shared (shared_layer), channels_first, every layer family,
// Keras 3 files and a TensorFlow.js model.
const MAPPED = [
  'graphs/resnet_tiny.h5', 'graphs/resnet_tiny_channels_first.h5', 'graphs/mobilenet_v2_tiny.h5', 'graphs/merges_separable.h5',
  'graphs/unet_tiny.h5', 'graphs/convnext_tiny.h5', 'graphs/activations.h5', 'graphs/inception_tiny.h5', 'graphs/shared_layer.h5',
  'graphs/transfer_functional.h5', 'graphs/transfer_sequential.h5', 'graphs/preprocessing.h5', 'norm_shape_last.h5', 'norm_shape_first.h5',
  'conv_family_channels_first.h5', 'channels_last_model.h5', 'mnist_model.h5', 'keras3/nested_shared.keras', 'keras3/variables_zoo.keras',
  'graphs/convnext_tiny.h5', 'tfjs/channels_last_model', 'graphs/tfjs/shared_layer',
];

// Each engine weight replaced by 2w + 1: an elementwise change, so each Keras weight must come back as 2w + 1 of
// the file's, element for element, whatever rearrangement the converter made (the file's values are distinct).
for (const name of MAPPED) {
  test(`kerasWeights(${name}): each Keras weight in Keras's layout, from the engine's tensors`, async () => {
    const model = await loadModel(join(MODELS, name));
    const expected = fileWeights(await readIr(join(MODELS, name)));
    const substitute = new Map<Tensor, Tensor>();
    for (const l of model.spec.layers) for (const t of Object.values(l.weights)) substitute.set(t, new Tensor(t.shape, t.data.map((v) => 2 * v + 1)));
    const changed = kerasWeights(model, substitute);
    const current = kerasWeights(model);
    let compared = 0;
    for (const [path, weights] of expected) {
      for (const [key, w] of Object.entries(weights)) {
        assert.equal(current.get(path)?.[key]?.shape, w.shape, `${path}/${key} shape`);
        assert.ok(current.get(path)![key].data.every((v, i) => v === w.data[i]), `${path}/${key} as loaded`);
        const got = changed.get(path)?.[key];
        // Normalization's count is no engine tensor: left out of a substitute's map.
        if (key === 'count') {
          assert.is(got, undefined);
          continue;
        }
        assert.ok(got, `${path}/${key} substituted`);
        const bad = got!.data.findIndex((v, i) => v !== Math.fround(2 * w.data[i] + 1));
        assert.is(bad, -1, `${path}/${key} element ${bad}`);
        compared++;
      }
    }
    assert.ok(compared > 0);
  });
}

test('kerasWeights: a shared layer and a nested model\'s layers appear once, by their Keras names', async () => {
  const shared = kerasWeights(await loadModel(join(GRAPHS, 'shared_layer.h5')));
  assert.ok([...shared.keys()].every((k) => !k.includes(':')), [...shared.keys()].join());
  const nested = kerasWeights(await loadModel(join(MODELS, 'keras3', 'nested_shared.keras')));
  assert.ok([...nested.keys()].some((k) => k.includes('/')), [...nested.keys()].join());
});

test('kerasWeights: a layer whose engine weights are not a rearrangement of its Keras weights is refused, by name', async () => {
  // A Normalization layer built with its mean and variance in the config takes them from there,
  // not from its weights: the engine's values are constants, no rearrangement of the weights.
  const file: KerasModelFile = {
    name: 'm', kind: 'Sequential', inputs: [], outputs: [], format: 'keras2-h5', kerasVersion: '2.12.0', backend: 'tensorflow',
    provenance: { source: 'm.h5', kerasVersion: '2.12.0', backend: 'tensorflow', sha256: '' },
    layers: [
      { name: 'norm', className: 'Normalization', calls: [], config: { name: 'norm', axis: -1, mean: [0.5, 0.25], variance: [2, 3], batch_input_shape: [null, 2] },
        weights: { mean: { shape: [2], data: Float32Array.of(1, 2) }, variance: { shape: [2], data: Float32Array.of(3, 4) }, count: { shape: [], data: Float32Array.of(9) } } },
      { name: 'dense', className: 'Dense', calls: [], config: { name: 'dense', units: 1, activation: 'linear' },
        weights: { kernel: { shape: [2, 1], data: Float32Array.of(1, 2) }, bias: { shape: [1], data: Float32Array.of(0) } } },
    ],
  };
  const message = await refused(() => kerasWeights(new Model(specFromKeras(file))), 'E_UNSUPPORTED');
  assert.match(message, "layer 'norm' (Normalization)");
  assert.match(message, 'cannot be written as Keras');
});

test('kerasWeights: a substitute of another shape than its engine tensor is refused in one line, naming the weight', async () => {
  const model = await loadModel(join(GRAPHS, 'resnet_tiny.h5'));
  const kernel = model.spec.layers.find((l) => l.name === 'conv1_conv')!.weights.kernel;
  const message = await refused(() => kerasWeights(model, new Map([[kernel, Tensor.zeros([3])]])), 'E_ARGUMENT');
  assert.match(message, 'conv1_conv/kernel has shape [3]');
});

test('kerasWeights: a model without a Keras description (a converted folder) is refused in one line', async () => {
  const model = await loadModel(join(GRAPHS, 'resnet_tiny.h5'));
  const { keras: _keras, ...folder } = model.spec;
  const message = await refused(() => kerasWeights({ spec: folder }), 'E_UNSUPPORTED');
  assert.match(message, 'no Keras description');
});

// --- writeKerasH5 ---

/** A seeded batch for the model's input. */
function batchFor(model: Model, n = 3): Tensor {
  const random = seededRandom(7);
  const shape = [n, ...model.inputShape];
  return new Tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random()));
}

/** Every output of the model read back from its written file equals the model's, bit for bit. */
async function roundTrip(model: Model, name: string): Promise<Model> {
  const bytes = await writeKerasH5(model);
  const back = await loadModelBytes(bytes, { name });
  assert.equal(back.layerNames(), model.layerNames());
  assert.equal(back.outputNames, model.outputNames);
  const x = batchFor(model);
  for (const output of model.outputNames) {
    const a = model.predict(x, output);
    const b = back.predict(x, output);
    assert.equal(b.shape, a.shape);
    const bad = a.data.findIndex((v, i) => !Object.is(v, b.data[i]));
    assert.is(bad, -1, `${name} output '${output}' element ${bad}: ${a.data[bad]} vs ${b.data[bad]}`);
  }
  return back;
}

// Chains (Sequential and functional), graphs with merges, nested models, a shared layer, several
// outputs, channels_first, layer names with '/' (mobilenet_v3_tiny), Keras 2.2 files, tfjs models.
const WRITTEN = [
  'mnist_model.h5', 'channels_last_model.h5', 'channels_first_flatten_model.h5', 'functional_chain_model.h5', 'branching_model.h5',
  'conv_family_channels_last.h5', 'conv_family_channels_first.h5', 'activations_channels_last.h5', 'norm_shape_last.h5', 'norm_shape_legacy.h5',
  'graphs/resnet_tiny.h5', 'graphs/resnet_tiny_channels_first.h5', 'graphs/mobilenet_v2_tiny.h5', 'graphs/mobilenet_v3_tiny.h5',
  'graphs/merges_separable.h5', 'graphs/unet_tiny.h5', 'graphs/convnext_tiny.h5', 'graphs/inception_tiny.h5', 'graphs/activations.h5',
  'graphs/shared_layer.h5', 'graphs/transfer_functional.h5', 'graphs/transfer_sequential.h5', 'graphs/multi_output.h5', 'graphs/preprocessing.h5',
  'tfjs/channels_last_model', 'tfjs/mnist_model_uint8', 'graphs/tfjs/shared_layer', 'graphs/tfjs/transfer_functional',
];

for (const name of WRITTEN) {
  test(`writeKerasH5(${name}): read back, the same predictions bit for bit`, async () => {
    await roundTrip(await loadModel(join(MODELS, name)), name);
  });
}

/** A few training steps on a seeded batch of 8 (labels 0, 1, 2, ...): every trainable weight moves, BN's moving statistics too. */
function trainAFewSteps(model: Model, optimizer: 'sgd' | 'adam'): void {
  const x = batchFor(model, 8);
  const y = Int32Array.from({ length: 8 }, (_, i) => i % model.outputShape[0]);
  const before = model.predict(x);
  const trainer = new Trainer(model, { optimizer, learningRate: 0.01 });
  for (let step = 0; step < 3; step++) trainer.step(x, y);
  assert.ok(model.predict(x).data.some((v, i) => v !== before.data[i]), 'training changed the predictions');
}

test('writeKerasH5(mnistCnn, trained): read back, the same predictions; the Keras description sequential made, InputLayer first', async () => {
  const model = mnistCnn(1);
  trainAFewSteps(model, 'adam');
  await roundTrip(model, 'mnist_cnn.h5');
  const written = await readKerasH5(await writeKerasH5(model));
  assert.is(written.kind, 'Sequential');
  assert.equal(written.layers.map((l) => l.name), ['conv1_input', 'conv1', 'pool1', 'conv2', 'pool2', 'conv4_dropout', 'flatten', 'dense1', 'dense1_dropout', 'dense2', 'out']);
  assert.equal(written.layers[1].weights.kernel.shape, [5, 5, 1, 16]);
});

test('writeKerasH5(resnet_tiny, trained): batch norm\'s moving statistics are written as training left them', async () => {
  const model = await loadModel(join(GRAPHS, 'resnet_tiny.h5'));
  const loaded = fileWeights(await readIr(join(GRAPHS, 'resnet_tiny.h5'))).get('conv1_bn')!;
  trainAFewSteps(model, 'sgd');
  await roundTrip(model, 'resnet_tiny.h5');
  const written = fileWeights(await readKerasH5(await writeKerasH5(model))).get('conv1_bn')!;
  const engine = model.spec.layers.find((l) => l.name === 'conv1_bn')!.weights;
  for (const key of ['moving_mean', 'moving_variance', 'gamma']) {
    assert.ok(written[key].data.some((v, i) => v !== loaded[key].data[i]), `${key} moved`);
    assert.equal([...written[key].data], [...engine[key].data], key);
  }
});

test('kerasWeights(model, gradients): a training step\'s gradients in Keras\'s layout, trainable weights only', async () => {
  const model = await loadModel(join(GRAPHS, 'resnet_tiny.h5'));
  const x = batchFor(model, 4);
  const { gradients } = new Trainer(model).lossAndGradients(x, Int32Array.of(0, 1, 2, 3));
  const keras = kerasWeights(model, gradients);
  assert.equal(Object.keys(keras.get('conv1_bn')!).sort(), ['beta', 'gamma']);
  assert.equal(keras.get('conv1_conv')!.kernel.shape, [3, 3, 3, 8]);
  assert.ok(keras.get('conv1_conv')!.kernel.data.some((v) => v !== 0));
  assert.not.ok(keras.has('conv1_relu'));
});

test('writeKerasH5: the weights written are the engine\'s current ones, each in Keras\'s layout', async () => {
  const name = 'graphs/transfer_functional.h5';
  const model = await loadModel(join(MODELS, name));
  const original = fileWeights(await readIr(join(MODELS, name)));
  for (const l of model.spec.layers) for (const t of Object.values(l.weights)) t.data.forEach((v, i) => (t.data[i] = 2 * v + 1));
  const written = fileWeights(await readKerasH5(await writeKerasH5(model)));
  let compared = 0;
  for (const [path, weights] of original) {
    for (const [key, w] of Object.entries(weights)) {
      const got = written.get(path)?.[key];
      assert.ok(got, `${path}/${key}`);
      assert.equal(got!.shape, w.shape);
      assert.ok(got!.data.every((v, i) => v === Math.fround(2 * w.data[i] + 1)), `${path}/${key}`);
      compared++;
    }
  }
  assert.ok(compared >= 19);
});

test('writeKerasH5: Keras 2\'s layout: attributes, layer_names, weight_names trainable first, datasets at their names', async () => {
  const bytes = await writeKerasH5(await loadModel(join(GRAPHS, 'transfer_functional.h5')));
  const fail = (m: string): never => assert.unreachable(m) as never;
  await withH5File(bytes, fail, (file) => {
    assert.is(file.attrs.keras_version.value, '2.12.0');
    assert.is(file.attrs.backend.value, 'tensorflow');
    const config = JSON.parse(String(file.attrs.model_config.value));
    assert.is(config.class_name, 'Functional');
    assert.equal(config.config.input_layers, [['image', 0, 0]]);
    assert.equal(config.config.layers[1].inbound_nodes, [[['image', 0, 0, {}]]]);
    assert.is(config.config.layers[1].class_name, 'Functional');
    const root = file.get('model_weights');
    assert.ok(isGroup(root));
    assert.equal(stringListAttr(root as never, 'layer_names'), ['image', 'feature_extractor', 'global_average_pooling2d', 'dense']);
    const names = stringListAttr(file.get('model_weights/feature_extractor') as never, 'weight_names')!;
    assert.equal(names.slice(0, 3), ['Conv1/kernel:0', 'bn_Conv1/gamma:0', 'bn_Conv1/beta:0']);
    assert.equal(names.slice(-2), ['expanded_conv_project_BN/moving_mean:0', 'expanded_conv_project_BN/moving_variance:0']);
    assert.equal(stringListAttr(file.get('model_weights/image') as never, 'weight_names'), []);
    for (const n of names) assert.ok(file.get(`model_weights/feature_extractor/${n}`), n);
  });
});

// Keras 3.15.1's model.layers for these graphs, loaded from the files writeKerasH5 wrote of them
// (scripts/check-h5-keras.py loads them); its .h5 loader hands out the weights in this order.
const KERAS_ORDER: Record<string, string[]> = {
  'graphs/resnet_tiny.h5': [
    'input_1', 'conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool', 'conv2_block1_1_conv', 'conv2_block1_1_bn',
    'conv2_block1_1_relu', 'conv2_block1_2_conv', 'conv2_block1_2_bn', 'conv2_block1_2_relu', 'conv2_block1_0_conv', 'conv2_block1_3_conv',
    'conv2_block1_0_bn', 'conv2_block1_3_bn', 'conv2_block1_add', 'conv2_block1_out', 'conv2_block2_1_conv', 'conv2_block2_1_bn',
    'conv2_block2_1_relu', 'conv2_block2_2_conv', 'conv2_block2_2_bn', 'conv2_block2_2_relu', 'conv2_block2_3_conv', 'conv2_block2_3_bn',
    'conv2_block2_add', 'conv2_block2_out', 'conv3_block1_1_conv', 'conv3_block1_1_bn', 'conv3_block1_1_relu', 'conv3_block1_2_conv',
    'conv3_block1_2_bn', 'conv3_block1_2_relu', 'conv3_block1_0_conv', 'conv3_block1_3_conv', 'conv3_block1_0_bn', 'conv3_block1_3_bn',
    'conv3_block1_add', 'conv3_block1_out', 'avg_pool', 'predictions',
  ],
  'graphs/inception_tiny.h5': [
    'input_1', 'conv2d', 'batch_normalization', 'activation', 'conv2d_4', 'batch_normalization_4', 'activation_4', 'conv2d_2', 'conv2d_5',
    'batch_normalization_2', 'batch_normalization_5', 'activation_2', 'activation_5', 'average_pooling2d', 'conv2d_1', 'conv2d_3', 'conv2d_6',
    'conv2d_7', 'batch_normalization_1', 'batch_normalization_3', 'batch_normalization_6', 'batch_normalization_7', 'activation_1',
    'activation_3', 'activation_6', 'activation_7', 'mixed0', 'conv2d_9', 'batch_normalization_9', 'activation_9', 'conv2d_10',
    'batch_normalization_10', 'activation_10', 'conv2d_8', 'conv2d_11', 'batch_normalization_8', 'batch_normalization_11', 'activation_8',
    'activation_11', 'max_pooling2d', 'mixed3', 'avg_pool', 'predictions',
  ],
};

for (const [name, expected] of Object.entries(KERAS_ORDER)) {
  test(`writeKerasH5(${name}): layer_names in the order Keras lists the layers (its loader's, positional)`, async () => {
    assert.equal(kerasLayerOrder(await readIr(join(MODELS, name))).map((l) => l.name), expected);
    await withH5File(await writeKerasH5(await loadModel(join(MODELS, name))), (m: string): never => assert.unreachable(m) as never, (file) => {
      assert.equal(stringListAttr(file.get('model_weights') as never, 'layer_names'), expected);
    });
  });
}

test('writeKerasH5: a model read from a Keras 3 file is refused in one line', async () => {
  const model = await loadModel(join(MODELS, 'keras3', 'nested_shared.keras'));
  assert.match(await refused(() => writeKerasH5(model), 'E_UNSUPPORTED'), "Keras 3 file, whose config is Keras 3's");
});

test('writeKerasH5: a TensorFlow.js model with a bilinear UpSampling2D (no half-pixel centres) is refused, naming the layer', async () => {
  const model = await loadModel(join(GRAPHS, 'tfjs', 'unet_tiny'));
  const message = await refused(() => writeKerasH5(model), 'E_UNSUPPORTED');
  assert.match(message, "layer 'up_sampling2d_1' (UpSampling2D, bilinear)");
});

test('writeKerasH5: a model without a Keras description is refused in one line', async () => {
  const model = await loadModel(join(GRAPHS, 'resnet_tiny.h5'));
  const { keras: _keras, ...folder } = model.spec;
  assert.match(await refused(() => writeKerasH5({ spec: folder }), 'E_UNSUPPORTED'), 'no Keras description');
});

test.run();
