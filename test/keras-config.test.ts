import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKerasH5 } from '../src/io/keras-h5.ts';
import { specFromKeras } from '../src/model/from-keras.ts';
import { Model } from '../src/model/model.ts';
import type { ErrorCode } from '../src/errors.ts';
import { root } from './helpers/cli.ts';
import { editConfig } from './helpers/h5-edit.ts';
import { refused } from './helpers/model-errors.ts';

// Every Keras config field convscope reads is type-checked, with the layer and the key in the
// message. The damaged files are the fixtures with one config value changed.
const fixture = (name: string) => join(root, 'test', 'fixtures', 'models', name);
const MNIST = fixture('mnist_model.h5'); // Keras 2.0.5: config is the bare list of layers
const BN = fixture('channels_last_model.h5'); // Keras 2.2: {name, layers}

async function configError(source: string, mutate: (layers: any[]) => void, code: ErrorCode = 'E_FORMAT'): Promise<string> {
  const bytes = await editConfig(source, (c) => mutate((Array.isArray(c.config) ? c.config : c.config.layers).map((l: any) => l.config)));
  return refused(async () => new Model(specFromKeras(await readKerasH5(bytes, 'm.h5')), 'm.h5'), code);
}

test('strides that are not two positive integers', async () => {
  assert.is(await configError(MNIST, (l) => (l[0].strides = 'x')), `m.h5: layer 'conv1' (Conv2D): config.strides: expected two positive integers, got "x"`);
  assert.is(await configError(MNIST, (l) => (l[2].strides = [1, 0])), `m.h5: layer 'conv2' (Conv2D): config.strides: expected two positive integers, got [1, 0]`);
  assert.is(await configError(MNIST, (l) => (l[1].pool_size = 2.5)), `m.h5: layer 'pool1' (MaxPooling2D): config.pool_size: expected two positive integers, got 2.5`);
});

test('use_bias that is not a boolean', async () => {
  assert.is(await configError(MNIST, (l) => (l[6].use_bias = 'no')), `m.h5: layer 'dense1' (Dense): config.use_bias: expected true or false, got "no"`);
});

test('a missing activation is a damaged config, not linear', async () => {
  assert.is(await configError(MNIST, (l) => delete l[9].activation), "m.h5: layer 'out' (Dense): config.activation: missing; expected one of linear, relu, sigmoid, tanh, softmax, relu6, swish, silu, hard_swish, hard_silu, gelu, elu, selu, softplus, softsign, hard_sigmoid, exponential, leaky_relu");
  assert.is(await configError(MNIST, (l) => (l[9].activation = 3)), "m.h5: layer 'out' (Dense): config.activation: expected one of linear, relu, sigmoid, tanh, softmax, relu6, swish, silu, hard_swish, hard_silu, gelu, elu, selu, softplus, softsign, hard_sigmoid, exponential, leaky_relu, got 3");
});

test('an activation given as an object (a custom function) is unsupported', async () => {
  assert.match(await configError(MNIST, (l) => (l[0].activation = { class_name: 'Swish' }), 'E_UNSUPPORTED'), "m.h5: layer 'conv1' (Conv2D): a custom activation (an object in the config) is not supported");
});

test('padding: a number is damaged, an unknown mode unsupported', async () => {
  assert.is(await configError(MNIST, (l) => (l[0].padding = 42)), `m.h5: layer 'conv1' (Conv2D): config.padding: expected 'valid' or 'same', got 42`);
  assert.is(await configError(MNIST, (l) => (l[0].padding = 'causal'), 'E_UNSUPPORTED'), "m.h5: layer 'conv1' (Conv2D): padding 'causal' is not supported; valid choices: valid, same");
});

test('filters, kernel_size and units that disagree with the weights', async () => {
  assert.is(await configError(MNIST, (l) => (l[0].filters = 8)), "m.h5: layer 'conv1' (Conv2D): kernel has shape [5, 5, 1, 16] but the layer has 8 filters");
  assert.is(await configError(MNIST, (l) => (l[0].filters = '16')), `m.h5: layer 'conv1' (Conv2D): config.filters: expected a positive integer, got "16"`);
  assert.is(await configError(MNIST, (l) => (l[2].kernel_size = [3, 3])), "m.h5: layer 'conv2' (Conv2D): kernel has shape [5, 5, 16, 32] but config.kernel_size is [3, 3]");
  assert.is(await configError(MNIST, (l) => (l[8].units = 65)), "m.h5: layer 'dense2' (Dense): kernel has shape [128, 64] but the layer has 65 units");
});

test('grouped convolutions are unsupported', async () => {
  assert.is(await configError(MNIST, (l) => (l[2].groups = 2), 'E_UNSUPPORTED'), "m.h5: layer 'conv2' (Conv2D): grouped convolutions (groups 2) are not supported");
});

test('an unknown data_format', async () => {
  assert.is(await configError(MNIST, (l) => (l[1].data_format = 'NHWC')), `m.h5: layer 'pool1' (MaxPooling2D): config.data_format: expected 'channels_first' or 'channels_last', got "NHWC"`);
});

test('batch_input_shape missing or damaged; Keras 3 batch_shape read as the same', async () => {
  assert.is(
    await configError(MNIST, (l) => (l[0].batch_input_shape = [null, 1, -28, 28])),
    "m.h5: layer 'conv1' (Conv2D): config.batch_input_shape: expected [null, ...fixed positive sizes] (the model's input shape), got [null, 1, -28, 28]",
  );
  const keras3 = await configError(MNIST, (l) => {
    l[0].batch_shape = [null, 1, 0, 28];
    delete l[0].batch_input_shape;
  });
  assert.match(keras3, 'got [null, 1, 0, 28]');
});

test('BatchNormalization: epsilon, axis, scale and center type-checked', async () => {
  const bn = (l: any[]) => l.find((c) => c.name === 'batch_normalization_1');
  assert.is(await configError(BN, (l) => (bn(l).epsilon = '0.001')), `m.h5: layer 'batch_normalization_1' (BatchNormalization): config.epsilon: expected a number of at least 0, got "0.001"`);
  assert.is(await configError(BN, (l) => (bn(l).axis = 'channels')), `m.h5: layer 'batch_normalization_1' (BatchNormalization): config.axis: expected an integer (the channel axis), got "channels"`);
  assert.match(await configError(BN, (l) => (bn(l).axis = 1), 'E_UNSUPPORTED'), "normalises axis 1, not the channel axis 3; only per-channel BatchNormalization is supported");
  assert.is(await configError(BN, (l) => (bn(l).scale = 0)), `m.h5: layer 'batch_normalization_1' (BatchNormalization): config.scale: expected true or false, got 0`);
});

test('ZeroPadding2D and Reshape configs', async () => {
  const pad = await configError(fixture('functional_chain_model.h5'), (l) => (l[1].padding = [[1, 'a'], [0, 1]]));
  assert.is(pad, `m.h5: layer 'zero_padding2d_1' (ZeroPadding2D): config.padding: expected n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers, got [[1, "a"], [0, 1]]`);
  const reshape = await configError(fixture('functional_pool_model.h5'), (l) => (l[4].target_shape = 'flat'));
  assert.is(reshape, `m.h5: layer 'reshape' (Reshape): config.target_shape: expected a list of integers, got "flat"`);
});

test('unsupported layers and activations are E_UNSUPPORTED', async () => {
  const load = (name: string) => async () => new Model(specFromKeras(await readKerasH5(readFileSync(fixture(name)), name)));
  assert.match(await refused(load('unsupported_layer.h5'), 'E_UNSUPPORTED'), "unsupported_layer.h5: layer 'lstm_1' is a LSTM, which convscope does not support");
  assert.match(await refused(load('unsupported_activation.h5'), 'E_UNSUPPORTED'), "unsupported_activation.h5: layer 'dense_1' (Dense): activation 'mish' is not supported");
  assert.match(await refused(load('bad_weight_shape.h5'), 'E_FORMAT'), "bad_weight_shape.h5: layer 'dense_1' (Dense): weight 'kernel' has shape [5, 3] but [4, 3] is needed");
});

test.run();
