import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm';
import { readKerasH5, KerasH5Error, type KerasModelFile } from '../src/io/keras-h5.ts';
import { setMemoryLimit } from '../src/limits.ts';
import { editConfig, editH5 } from './helpers/h5-edit.ts';
import { loadModelSpec } from '../src/node/load-model.ts';
import { ConvscopeError } from '../src/errors.ts';

// Written with h5py in Keras 2's layout: test/fixtures/models/make_models.py
const HERE = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => join(HERE, 'fixtures', 'models', name);
const MNIST = join(HERE, 'fixtures', 'models', 'mnist_model.h5');

const shapes = (m: KerasModelFile) =>
  m.layers.map((l) => [l.name, l.className, Object.fromEntries(Object.entries(l.weights).map(([k, w]) => [k, w.shape]))]);

/** readKerasH5 on a fixture's bytes (labelled with its file name) or on bytes. */
function read(pathOrBytes: string | Uint8Array, source?: string): Promise<KerasModelFile> {
  if (typeof pathOrBytes !== 'string') return readKerasH5(pathOrBytes, source);
  return readKerasH5(new Uint8Array(readFileSync(pathOrBytes)), source ?? basename(pathOrBytes));
}

async function readError(pathOrBytes: string | Uint8Array): Promise<KerasH5Error> {
  try {
    await read(pathOrBytes);
  } catch (err) {
    assert.instance(err, KerasH5Error);
    const message = (err as Error).message;
    assert.not.match(message, '\n', 'one line');
    assert.not.match(message, 'HDF5-DIAG');
    return err as KerasH5Error;
  }
  assert.unreachable('expected readKerasH5 to throw');
  throw new Error('unreachable');
}

test('mnist_model.h5: Keras 2.0.5 Sequential, config as a bare list', async () => {
  const m = await read(MNIST);
  assert.is(m.kerasVersion, '2.0.5');
  assert.is(m.backend, 'tensorflow');
  assert.is(m.kind, 'Sequential');
  assert.equal(shapes(m), [
    ['conv1', 'Conv2D', { kernel: [5, 5, 1, 16], bias: [16] }],
    ['pool1', 'MaxPooling2D', {}],
    ['conv2', 'Conv2D', { kernel: [5, 5, 16, 32], bias: [32] }],
    ['pool2', 'MaxPooling2D', {}],
    ['conv4_dropout', 'Dropout', {}],
    ['flatten', 'Flatten', {}],
    ['dense1', 'Dense', { kernel: [512, 128], bias: [128] }],
    ['dense1_dropout', 'Dropout', {}],
    ['dense2', 'Dense', { kernel: [128, 64], bias: [64] }],
    ['out', 'Dense', { kernel: [64, 10], bias: [10] }],
  ]);
  assert.equal(m.layers[0].config.batch_input_shape, [null, 1, 28, 28]);
  assert.is(m.layers[0].config.data_format, 'channels_first');
  assert.equal(m.layers.map((l) => l.config.activation ?? null), ['relu', null, 'relu', null, null, null, 'relu', null, 'relu', 'softmax']);
  assert.is(m.provenance.source, 'mnist_model.h5');
  assert.is(m.provenance.kerasVersion, '2.0.5');
  assert.match(m.provenance.sha256, /^[0-9a-f]{64}$/);
});

test('mnist_model.h5: weights as stored, HWIO kernel values (checked with h5py)', async () => {
  const m = await read(MNIST);
  const kernel = m.layers[0].weights.kernel;
  assert.instance(kernel.data, Float32Array);
  assert.is(kernel.data.length, 400);
  assert.equal(Array.from(kernel.data.slice(0, 3)), [0.004879406653344631, 0.05937805026769638, -0.05777972564101219]);
  assert.equal(Array.from(m.layers[9].weights.bias.data.slice(0, 3)), [0.20064286887645721, 0.0522749088704586, -0.1895061880350113]);
});

test('channels_last_model.h5: Keras 2.2 Sequential {name, layers}, BatchNormalization weights', async () => {
  const m = await read(fixture('channels_last_model.h5'));
  assert.is(m.kerasVersion, '2.2.4');
  assert.is(m.name, 'sequential_1');
  assert.equal(shapes(m), [
    ['conv2d_1', 'Conv2D', { kernel: [3, 3, 3, 5], bias: [5] }],
    ['conv2d_2', 'Conv2D', { kernel: [3, 3, 5, 7], bias: [7] }],
    ['activation_1', 'Activation', {}],
    ['average_pooling2d_1', 'AveragePooling2D', {}],
    ['batch_normalization_1', 'BatchNormalization', { gamma: [7], beta: [7], moving_mean: [7], moving_variance: [7] }],
    ['max_pooling2d_1', 'MaxPooling2D', {}],
    ['flatten_1', 'Flatten', {}],
    ['dense_1', 'Dense', { kernel: [14, 10], bias: [10] }],
    ['batch_normalization_2', 'BatchNormalization', { gamma: [10], beta: [10], moving_mean: [10], moving_variance: [10] }],
    ['dropout_1', 'Dropout', {}],
    ['dense_2', 'Dense', { kernel: [10, 4], bias: [4] }],
  ]);
  const [first, second] = m.layers;
  assert.equal(first.config.batch_input_shape, [null, 13, 11, 3]);
  assert.is(first.config.data_format, 'channels_last');
  assert.equal(second.config.strides, [2, 2]);
  assert.is(m.layers[8].config.epsilon, 0.01);
  assert.ok(m.layers[8].weights.moving_variance.data.every((v) => v > 0));
});

test('bytes read the same as the path, labelled in messages', async () => {
  const bytes = new Uint8Array(readFileSync(fixture('channels_last_model.h5')));
  const fromBytes = await read(bytes);
  assert.equal(shapes(fromBytes), shapes(await read(fixture('channels_last_model.h5'))));
  assert.is(fromBytes.provenance.source, 'model bytes');
  assert.is((await read(bytes, 'upload.h5')).provenance.source, 'upload.h5');
  assert.match((await readError(new Uint8Array(0))).message, /^model bytes: not an HDF5 file/);
});

test('functional_chain_model.h5: Model with InputLayer, ZeroPadding2D, dilated conv without bias', async () => {
  const m = await read(fixture('functional_chain_model.h5'));
  assert.is(m.kind, 'Functional');
  assert.is(m.name, 'model_1');
  assert.equal(shapes(m), [
    ['input_1', 'InputLayer', {}],
    ['zero_padding2d_1', 'ZeroPadding2D', {}],
    ['conv2d_1', 'Conv2D', { kernel: [5, 5, 2, 4] }],
    ['global_average_pooling2d_1', 'GlobalAveragePooling2D', {}],
    ['dense_1', 'Dense', { kernel: [4, 3], bias: [3] }],
  ]);
  assert.equal(m.layers[0].config.batch_input_shape, [null, 2, 11, 10]);
  assert.equal(m.layers[1].config.padding, [[1, 2], [0, 1]]);
  assert.equal(m.layers[2].config.dilation_rate, [2, 2]);
  assert.is(m.layers[2].config.use_bias, false);
});

test('functional_pool_model.h5: chunked layer_names (layer_names0, layer_names1)', async () => {
  const m = await read(fixture('functional_pool_model.h5'));
  assert.equal(m.layers.map((l) => `${l.name}:${l.className}`), [
    'image:InputLayer', 'conv:Conv2D', 'pool:MaxPooling2D', 'global_pool:GlobalMaxPooling2D', 'reshape:Reshape', 'logits:Dense',
  ]);
  assert.equal(m.layers[4].config.target_shape, [-1]);
  assert.equal(m.layers[5].weights.kernel.shape, [6, 5]);
});

test('channels_first_flatten_model.h5: Flatten keeps its data_format', async () => {
  const m = await read(fixture('channels_first_flatten_model.h5'));
  assert.is(m.layers[1].config.data_format, 'channels_first');
});

test('layers and activations the builder rejects are still read', async () => {
  const lstm = await read(fixture('unsupported_layer.h5'));
  assert.equal(shapes(lstm)[0], ['lstm_1', 'LSTM', { kernel: [3, 16], recurrent_kernel: [4, 16], bias: [16] }]);
  assert.is((await read(fixture('unsupported_activation.h5'))).layers[0].config.activation, 'mish');
  assert.equal((await read(fixture('bad_weight_shape.h5'))).layers[0].weights.kernel.shape, [5, 3]);
});

test('not_hdf5.h5: not an HDF5 file, and nothing on stderr', async () => {
  const write = process.stderr.write;
  let printed = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((printed += String(chunk)), true)) as typeof process.stderr.write;
  try {
    assert.match((await readError(fixture('not_hdf5.h5'))).message, /^not_hdf5\.h5: not an HDF5 file/);
  } finally {
    process.stderr.write = write;
  }
  assert.is(printed, '');
});

test('truncated.h5: truncated, with the sizes', async () => {
  const size = readFileSync(fixture('truncated.h5')).length;
  const full = readFileSync(fixture('channels_last_model.h5')).length;
  assert.is((await readError(fixture('truncated.h5'))).message, `truncated.h5: truncated HDF5 file: it has ${size} bytes but its header says ${full}`);
});

test('damaged bytes after a good header: one clear error', async () => {
  const bytes = new Uint8Array(readFileSync(fixture('channels_last_model.h5')));
  for (let i = 8000; i < 16000; i++) bytes[i] = (i * 7919) & 255;
  assert.match((await readError(bytes)).message, /^model bytes: cannot (open|read) .*may be damaged/);
});

test('keras3.keras given to the HDF5 reader: says which reads it', async () => {
  const message = (await readError(fixture('keras3.keras'))).message;
  assert.is(message, "keras3.keras: is a Keras 3 '.keras' archive (a zip file), not an HDF5 model; read it with readKerasZip, or loadModel, which reads both");
});

test('weights_only.h5: no model_config', async () => {
  assert.match((await readError(fixture('weights_only.h5'))).message, /^weights_only\.h5: holds weights only \(model\.save_weights\) and no model_config/);
});

test('a model with two inputs is refused, naming them', async () => {
  const bytes = await editConfig(fixture('branching_model.h5'), (c) => {
    c.config.layers.splice(1, 0, { ...c.config.layers[0], name: 'input_2', config: { ...c.config.layers[0].config, name: 'input_2' } });
    c.config.layers.find((l: { name: string }) => l.name === 'conv_b').inbound_nodes = [[['input_2', 0, 0, {}]]];
    c.config.input_layers.push(['input_2', 0, 0]);
  });
  const err = await loadModelSpec(bytes, { name: 'two.h5' }).catch((e: unknown) => e);
  assert.instance(err, ConvscopeError);
  assert.is((err as ConvscopeError).code, 'E_UNSUPPORTED');
  assert.is((err as Error).message, 'two.h5: the model has 2 inputs (input_1, input_2); convscope handles single-input models');
});

test('missing_bias.h5: weight names that do not match the config', async () => {
  assert.is(
    (await readError(fixture('missing_bias.h5'))).message,
    "missing_bias.h5: layer 'conv2d_1' (Conv2D) should have weights kernel, bias by its config, but the file has kernel",
  );
});

test('a missing file', async () => {
  const err = await loadModelSpec(fixture('nope.h5')).catch((e: unknown) => e);
  assert.instance(err, ConvscopeError);
  assert.is((err as ConvscopeError).code, 'E_NOT_FOUND');
  assert.is((err as Error).message, `${fixture('nope.h5')}: no such file or folder`);
});

test("h5wasm's in-memory files are removed, also after errors", async () => {
  const { FS } = await h5wasm.ready;
  for (const name of ['channels_last_model.h5', 'truncated.h5', 'weights_only.h5', 'branching_model.h5']) {
    try {
      await read(fixture(name));
    } catch {
      // Only the files left behind matter here.
    }
  }
  assert.equal(FS.readdir('/').filter((f: string) => f.startsWith('convscope')), []);
});

/** mnist_model.h5 with dense1's kernel replaced by a chunked dataset resized to `rows` rows (its data never written). */
function declaredKernel(rows: number, compression?: 'gzip'): Promise<Uint8Array> {
  return editH5(MNIST, (file) => {
    const group = file.get('model_weights/dense1') as InstanceType<typeof h5wasm.Group>;
    group.create_group('big');
    const kernel = group.create_dataset({ name: 'big/kernel:0', data: new Float32Array(128), shape: [1, 128], maxshape: [null, 128], chunks: [1, 128], ...(compression ? { compression } : {}) });
    kernel.resize([rows, 128]);
    group.delete_attribute('weight_names');
    group.create_attribute('weight_names', ['big/kernel:0', 'dense1/bias:0']);
  });
}

test('an uncompressed weight declaring more data than the whole file', async () => {
  const bytes = await declaredKernel(512_000);
  const error = await readError(bytes);
  assert.is(error.code, 'E_FORMAT');
  assert.is(error.message, `model bytes: layer 'dense1': weight 'big/kernel:0' declares shape [512000, 128] (262144000 bytes), more than the whole file (${bytes.length} bytes); the file is damaged`);
});

test('a compressed weight declaring more than the memory limit: refused before it is read', async () => {
  const error = await readError(await declaredKernel(51_200_000, 'gzip'));
  assert.is(error.code, 'E_TOO_LARGE');
  assert.match(error.message, /^model bytes: layer 'dense1' weight 'big\/kernel:0' \[51200000, 128\] needs 24\.4 GiB, over the memory limit of 1\.0 GiB/);
});

test('the weights together are held to the memory limit', async () => {
  setMemoryLimit(300_000); // above any one weight (256 KiB), below all of them (343 KiB)
  try {
    const error = await readError(MNIST);
    assert.is(error.code, 'E_TOO_LARGE');
    assert.match(error.message, /^mnist_model\.h5: the model's weight data needs 307\.8 KiB, over the memory limit of 293\.0 KiB/);
  } finally {
    setMemoryLimit(2 ** 30);
  }
});

test('a weight name with a control character (a damaged byte) is refused before it reaches a message', async () => {
  const bytes = await editH5(MNIST, (file) => {
    const group = file.get('model_weights/conv1') as InstanceType<typeof h5wasm.Group>;
    group.delete_attribute('weight_names');
    group.create_attribute('weight_names', ['conv1/ker\nnel:0', 'conv1/bias:0']);
  });
  const error = await readError(bytes);
  assert.is(error.code, 'E_FORMAT');
  assert.is(error.message, 'model bytes: model_weights/conv1/weight_names holds the name "conv1/ker\\nnel:0"; expected non-empty names without control characters');
});

test('error codes: a Keras 3 archive, not HDF5, truncated, not bytes', async () => {
  assert.is((await readError(fixture('keras3.keras'))).code, 'E_ARGUMENT');
  assert.is((await readError(fixture('not_hdf5.h5'))).code, 'E_FORMAT');
  assert.is((await readError(fixture('truncated.h5'))).code, 'E_FORMAT');
  const error = await readError(42 as unknown as Uint8Array);
  assert.is(error.code, 'E_ARGUMENT');
  assert.is(error.message, "readKerasH5: expected the file's bytes as a Uint8Array, got 42");
});

test.run();
