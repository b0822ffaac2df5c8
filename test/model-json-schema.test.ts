import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelFolder, modelFolderFiles } from '../src/io/model-folder.ts';
import { checkModelJson } from '../src/io/model-json-schema.ts';
import { readKerasH5 } from '../src/io/keras-h5.ts';
import { specFromKeras } from '../src/model/from-keras.ts';
import { root } from './helpers/cli.ts';
import { refused } from './helpers/model-errors.ts';

// Each case damages one thing in the shipped model folder's model.json (or weights.bin) and
// expects one E_FORMAT line naming model.json, the key path and what was expected.
const MNIST = join(root, 'weights', 'mnist-cnn');
const mnistJson = (): any => JSON.parse(readFileSync(join(MNIST, 'model.json'), 'utf8'));
const mnistBin = new Uint8Array(readFileSync(join(MNIST, 'weights.bin')));

/** The model.json and weights.bin convscope writes for a Keras fixture. */
async function converted(fixture: string): Promise<{ json: any; bin: Uint8Array }> {
  const spec = specFromKeras(await readKerasH5(readFileSync(join(root, 'test', 'fixtures', 'models', fixture)), fixture));
  const files = modelFolderFiles(spec);
  return { json: JSON.parse(new TextDecoder().decode(files['model.json'])), bin: files['weights.bin'] };
}

function damaged(mutate: (json: any) => void, from: { json: any; bin: Uint8Array } = { json: mnistJson(), bin: mnistBin }): Promise<string> {
  mutate(from.json);
  return refused(() => readModelFolder({ 'model.json': JSON.stringify(from.json), 'weights.bin': from.bin }), 'E_FORMAT');
}

test('the shipped model.json passes, and its spec equals the folder reader', () => {
  const spec = readModelFolder({ 'model.json': readFileSync(join(MNIST, 'model.json')), 'weights.bin': mnistBin });
  assert.equal(spec.layers.map((l) => l.name), ['conv1', 'pool1', 'conv2', 'pool2', 'conv4_dropout', 'flatten', 'dense1', 'dense1_dropout', 'dense2', 'out']);
  assert.equal(spec.layers[2].weights.kernel.shape, [32, 16, 5, 5]);
  assert.is(spec.layers[9].weights.bias.data[0], Math.fround(0.20064286887645721));
});

test('models with BatchNormalization, Reshape and ZeroPadding2D pass after conversion', async () => {
  for (const fixture of ['channels_last_model.h5', 'functional_pool_model.h5', 'functional_chain_model.h5']) {
    const { json, bin } = await converted(fixture);
    assert.ok(checkModelJson(json, bin.byteLength).layers.length > 0, fixture);
  }
});

test('not JSON', async () => {
  const message = await refused(() => readModelFolder({ 'model.json': '{"format": "convscope-model",', 'weights.bin': mnistBin }, 'm'), 'E_FORMAT');
  assert.is(message, 'm/model.json: not valid JSON (at position 29)');
});

test("the text 'undefined' is not JSON, and the message does not echo it", async () => {
  assert.match(await refused(() => readModelFolder({ 'model.json': 'undefined', 'weights.bin': mnistBin }), 'E_FORMAT'), /^model\.json: not valid JSON/);
});

test('not UTF-8', async () => {
  const bytes = Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]);
  assert.is(await refused(() => readModelFolder({ 'model.json': bytes, 'weights.bin': mnistBin }), 'E_FORMAT'), 'model.json: not UTF-8 text, so not a model.json');
});

test('a list at the top level', async () => {
  assert.is(await refused(() => checkModelJson([], 0), 'E_FORMAT'), 'model.json: (top level): expected an object, got []');
});

test('another format', async () => {
  assert.is(await damaged((j) => (j.format = 'tfjs-layers')), `model.json: format: expected 'convscope-model' (a folder written by convscope convert), got "tfjs-layers"`);
});

test('a newer version is unsupported, a damaged one is a format error', async () => {
  const json = mnistJson();
  json.version = 3;
  const message = await refused(() => checkModelJson(json, mnistBin.byteLength), 'E_UNSUPPORTED');
  assert.is(message, 'model.json: version 3 is from a newer convscope; this one reads versions 1 to 2');
  assert.is(await damaged((j) => (j.version = '1')), 'model.json: version: expected 1 or 2, got "1"');
});

test('missing name', async () => {
  assert.is(await damaged((j) => delete j.name), 'model.json: name: missing; expected a string');
});

test('unknown dataFormat', async () => {
  assert.match(await damaged((j) => (j.dataFormat = 'NHWC')), `model.json: dataFormat: expected 'channels_first' or 'channels_last', got "NHWC"`);
});

test('inputShape with a zero, a fraction, a string, or 2 axes', async () => {
  for (const shape of [[1, 0, 28], [1, 28.5, 28], [1, '28', 28], [28, 28], 784]) {
    assert.match(await damaged((j) => (j.inputShape = shape)), /^model\.json: inputShape: expected a list of 1 or 3 positive integers/);
  }
});

test('missing provenance', async () => {
  assert.is(await damaged((j) => delete j.provenance), 'model.json: provenance: missing; expected an object with a source');
});

test('layers missing or empty', async () => {
  assert.is(await damaged((j) => delete j.layers), 'model.json: layers: missing; expected a non-empty list of layers');
  assert.is(await damaged((j) => (j.layers = [])), 'model.json: layers: expected a non-empty list of layers, got []');
});

test('a layer that is null', async () => {
  assert.is(await damaged((j) => (j.layers[3] = null)), 'model.json: layers[3]: expected a layer object, got null');
});

test('a layer without a name', async () => {
  assert.is(await damaged((j) => delete j.layers[1].name), 'model.json: layers[1].name: missing; expected a non-empty string without control characters');
  assert.is(await damaged((j) => (j.layers[1].name = 'pool\n1')), 'model.json: layers[1].name: expected a non-empty string without control characters, got "pool\\n1"');
});

test('two layers with the same name', async () => {
  assert.is(await damaged((j) => (j.layers[4].name = 'conv2')), "model.json: layers[4].name: 'conv2' is also the name of layers[2]; layer names must be unique");
});

test('an unknown layer type', async () => {
  assert.match(await damaged((j) => (j.layers[0].type = 'LSTM')), /^model\.json: layers\[0\]\.type: expected one of .*Conv2D, Dense, .*Reshape, .*got "LSTM"$/);
});

test('a missing activation is refused, not taken as linear', async () => {
  assert.is(await damaged((j) => delete j.layers[6].activation), 'model.json: layers[6].activation: missing; expected one of linear, relu, sigmoid, tanh, softmax, relu6, swish, hard_swish, gelu, gelu_tanh, elu, selu, softplus, softsign, hard_sigmoid_keras2, hard_sigmoid_keras3, exponential, leaky_relu');
});

test('an unknown activation', async () => {
  assert.match(await damaged((j) => (j.layers[9].activation = 'hard_sigmoid')), /^model\.json: layers\[9\]\.activation: expected one of linear, .*, got "hard_sigmoid"$/);
});

test('an activation on a layer that applies none', async () => {
  assert.is(await damaged((j) => (j.layers[1].activation = 'relu')), "model.json: layers[1].activation: expected 'linear' (a MaxPooling2D layer applies no activation), got \"relu\"");
});

test('strides that are not two positive integers', async () => {
  assert.is(await damaged((j) => (j.layers[2].params.strides = 'x')), 'model.json: layers[2].params.strides: expected two positive integers, got "x"');
  assert.is(await damaged((j) => (j.layers[2].params.strides = [1, 0])), 'model.json: layers[2].params.strides: expected two positive integers, got [1, 0]');
});

test('a padding mode that does not exist', async () => {
  assert.is(await damaged((j) => (j.layers[1].params.padding = 'causal')), `model.json: layers[1].params.padding: expected 'valid' or 'same', got "causal"`);
});

test('params missing', async () => {
  assert.is(await damaged((j) => delete j.layers[0].params), 'model.json: layers[0].params: missing; expected an object');
});

test('a param the layer does not have (a typo)', async () => {
  assert.is(await damaged((j) => (j.layers[3].params.stride = [2, 2])), "model.json: layers[3].params.stride: a MaxPooling2D layer has no param 'stride'; its params: pool, strides, padding");
});

test('a missing kernel', async () => {
  assert.is(await damaged((j) => delete j.layers[0].weights.kernel), 'model.json: layers[0].weights.kernel: missing; expected the kernel weight every Conv2D layer has: kernel (Cout, Cin, KH, KW), bias (Cout)');
});

test('a weight the layer does not have', async () => {
  assert.is(await damaged((j) => (j.layers[6].weights.kernal = j.layers[6].weights.kernel)), "model.json: layers[6].weights.kernal: a Dense layer has no weight 'kernal'; its weights: kernel, bias");
});

test('a missing offset is refused, not read from 0', async () => {
  assert.is(await damaged((j) => delete j.layers[2].weights.kernel.offset), 'model.json: layers[2].weights.kernel.offset: missing; expected a non-negative integer (in float32 values from the start of weights.bin)');
});

test('offsets that are null, negative, fractional or past 2^53', async () => {
  for (const offset of [null, -1, 0.5, 1e20, 'NaN']) {
    assert.match(await damaged((j) => (j.layers[2].weights.bias.offset = offset)), /^model\.json: layers\[2\]\.weights\.bias\.offset: expected a non-negative integer/);
  }
});

test('an offset past the end of weights.bin', async () => {
  assert.is(
    await damaged((j) => (j.layers[9].weights.bias.offset = 2 ** 40)),
    `model.json: layers[9].weights.bias: its values ${2 ** 40}..${2 ** 40 + 10} end past the end of weights.bin, which holds 87818 float32 values (351272 bytes); the folder is damaged or incomplete`,
  );
});

test('a length that is not the product of the shape', async () => {
  assert.is(await damaged((j) => (j.layers[0].weights.kernel.length = 401)), 'model.json: layers[0].weights.kernel.length: expected 400, the product of its shape [16, 1, 5, 5], got 401');
});

test('a shape that is not a list (was: shape.join is not a function)', async () => {
  assert.is(await damaged((j) => (j.layers[0].weights.kernel.shape = '16x1x5x5')), 'model.json: layers[0].weights.kernel.shape: expected a list of 1 to 4 positive integers, got "16x1x5x5"');
});

test('a shape with a zero or a fraction', async () => {
  assert.match(await damaged((j) => (j.layers[0].weights.bias.shape = [0])), /layers\[0\]\.weights\.bias\.shape: expected a list of 1 to 4 positive integers, got \[0\]$/);
  assert.match(await damaged((j) => (j.layers[0].weights.bias.shape = [15.5])), /layers\[0\]\.weights\.bias\.shape: expected a list of 1 to 4 positive integers/);
});

test('a conv kernel with 3 axes', async () => {
  assert.is(
    await damaged((j) => Object.assign(j.layers[0].weights.kernel, { shape: [16, 5, 5], length: 400 })),
    'model.json: layers[0].weights.kernel.shape: expected 4 axes (Cout, Cin, KH, KW), got [16, 5, 5]',
  );
});

test('a bias that does not match the kernel', async () => {
  assert.is(
    await damaged((j) => Object.assign(j.layers[8].weights.bias, { shape: [63], length: 63 })),
    'model.json: layers[8].weights.bias.shape: expected [64] (one per output of the kernel), got [63]',
  );
});

test('a truncated weights.bin', async () => {
  const message = await refused(() => readModelFolder({ 'model.json': readFileSync(join(MNIST, 'model.json')), 'weights.bin': mnistBin.subarray(0, 300000) }, 'mnist-cnn'), 'E_FORMAT');
  assert.is(message, 'mnist-cnn/model.json: layers[6].weights.kernel: its values 13248..78784 end past the end of mnist-cnn/weights.bin, which holds 75000 float32 values (300000 bytes); the folder is damaged or incomplete');
});

test('two weights reading the same values', async () => {
  assert.is(
    await damaged((j) => (j.layers[2].weights.bias.offset = 0)),
    'model.json: layers[2].weights.bias: its values 0..32 overlap those of layers[0].weights.kernel (0..400); every weight needs its own range',
  );
});

test('BatchNormalization: negative epsilon, and weights that differ in length', async () => {
  const bn = await converted('channels_last_model.h5');
  const i = bn.json.layers.findIndex((l: { type: string }) => l.type === 'BatchNormalization');
  const again = () => ({ json: JSON.parse(JSON.stringify(bn.json)), bin: bn.bin });
  assert.is(await damaged((j) => (j.layers[i].params.epsilon = -1), again()), `model.json: layers[${i}].params.epsilon: expected a non-negative number, got -1`);
  assert.is(
    await damaged((j) => Object.assign(j.layers[i].weights.gamma, { shape: [6], length: 6 }), again()),
    `model.json: layers[${i}].weights.gamma.shape: expected [7] (one value per channel, like moving_mean), got [6]`,
  );
  assert.match(await damaged((j) => delete j.layers[i].weights.moving_variance, again()), `layers[${i}].weights.moving_variance: missing; expected the moving_variance weight every BatchNormalization layer has`);
});

test('ZeroPadding2D with three paddings', async () => {
  const zp = await converted('functional_chain_model.h5');
  assert.is(await damaged((j) => (j.layers[1].params.padding = [1, 2, 0]), zp), 'model.json: layers[1].params.padding: expected four non-negative integers [top, bottom, left, right], got [1, 2, 0]');
});

test('Reshape: a gather that is not a permutation of the values', async () => {
  const rs = await converted('functional_pool_model.h5');
  const i = rs.json.layers.findIndex((l: { type: string }) => l.type === 'Reshape');
  const n = rs.json.layers[i].params.targetShape.reduce((a: number, b: number) => a * b, 1);
  const again = () => ({ json: JSON.parse(JSON.stringify(rs.json)), bin: rs.bin });
  assert.is(await damaged((j) => (j.layers[i].params.gather = Array(n).fill(0)), again()), `model.json: layers[${i}].params.gather[1]: expected an index below ${n} not used before (a permutation), got 0`);
  assert.is(await damaged((j) => (j.layers[i].params.gather = [0]), again()), `model.json: layers[${i}].params.gather: has 1 indices but the target shape holds ${n} values`);
  assert.match(await damaged((j) => (j.layers[i].params.targetShape = [2, 3]), again()), `layers[${i}].params.targetShape: expected a list of 1 or 3 positive integers, got [2, 3]`);
});

test.run();
