import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelFolder } from '../src/io/model-folder.ts';
import { writeModelFolder } from '../src/node/model-folder-files.ts';
import { readKerasH5 } from '../src/io/keras-h5.ts';
import { specFromKeras } from '../src/model/from-keras.ts';
import { loadModel } from '../src/node/load-model.ts';
import { Model } from '../src/model/model.ts';
import { Tensor } from '../src/tensor.ts';
import type { ModelSpec } from '../src/model/spec.ts';
import { root } from './helpers/cli.ts';
import { editConfig, editWeight } from './helpers/h5-edit.ts';
import { refused } from './helpers/model-errors.ts';

// What every spec passes before a Model is built (model/check-spec.ts and the Model constructor):
// the same for a model folder, a Keras .h5 file and a spec built in memory.
const MNIST = join(root, 'weights', 'mnist-cnn');
const FIXTURES = join(root, 'test', 'fixtures', 'models');
const mnistJson = (): any => JSON.parse(readFileSync(join(MNIST, 'model.json'), 'utf8'));
const mnistBin = (): Uint8Array => new Uint8Array(readFileSync(join(MNIST, 'weights.bin')));
const mnistSpec = (): ModelSpec => readModelFolder({ 'model.json': readFileSync(join(MNIST, 'model.json')), 'weights.bin': mnistBin() });
const fromH5 = async (bytes: Uint8Array, name: string) => new Model(specFromKeras(await readKerasH5(bytes, name)), name);
const h5Spec = async (fixture: string) => specFromKeras(await readKerasH5(readFileSync(join(FIXTURES, fixture)), fixture));

/** A copy of the shipped folder in a temporary folder, with `edit` applied to its two files. */
function folderWith(edit: (json: any, bin: DataView) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'convscope-check-'));
  cpSync(MNIST, dir, { recursive: true });
  const json = mnistJson();
  const bin = mnistBin();
  edit(json, new DataView(bin.buffer));
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'weights.bin'), bin);
  return dir;
}

test('NaN weights in a model folder: refused at load, naming the folder, the layer, the weight and the count', async () => {
  const dir = folderWith((_, bin) => [0, 7, 9].forEach((i) => bin.setFloat32(i * 4, NaN, true)));
  try {
    assert.is(await refused(() => loadModel(dir), 'E_NONFINITE'), `${dir}: layer 'conv1' weight 'kernel' has 3 NaN values; the file is damaged or the model diverged in training`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NaN and infinite weights in a Keras .h5 file', async () => {
  const bytes = await editWeight(join(FIXTURES, 'mnist_model.h5'), 'model_weights/dense2/dense2/bias:0', [NaN, Infinity, -Infinity]);
  assert.is(await refused(() => fromH5(bytes, 'nan.h5'), 'E_NONFINITE'), "nan.h5: layer 'dense2' weight 'bias' has 1 NaN and 2 infinite values; the file is damaged or the model diverged in training");
});

test('a negative BatchNormalization variance in a Keras .h5 file', async () => {
  const path = 'model_weights/batch_normalization_1/batch_normalization_1/moving_variance:0';
  const bytes = await editWeight(join(FIXTURES, 'channels_last_model.h5'), path, [1, 1, -0.5]);
  assert.is(
    await refused(() => fromH5(bytes, 'bn.h5'), 'E_FORMAT'),
    "bn.h5: layer 'batch_normalization_1' weight 'moving_variance' is -0.5 at channel 2; a variance cannot be negative; the file is damaged",
  );
});

test('a negative BatchNormalization variance in a model folder, and a zero one with epsilon 0', async () => {
  const spec = await h5Spec('channels_last_model.h5');
  const bn = spec.layers.find((l) => l.type === 'BatchNormalization')!;
  bn.weights.moving_variance.data[4] = -2;
  assert.match(await refused(() => new Model(spec, 'bn-folder'), 'E_FORMAT'), "bn-folder: layer 'batch_normalization_1' weight 'moving_variance' is -2 at channel 4; a variance cannot be negative");
  bn.weights.moving_variance.data[4] = 0;
  bn.params.epsilon = 0;
  assert.match(await refused(() => new Model(spec), 'E_FORMAT'), "moving_variance' is 0 at channel 4, and with epsilon 0 it divides by zero");
});

test('a declared input of 30000x30000 is refused at load with the size it needs', async () => {
  const spec = mnistSpec();
  spec.inputShape = [1, 30000, 30000];
  assert.match(
    await refused(() => new Model(spec, 'big'), 'E_TOO_LARGE'),
    /^big: the model's input \[1, 30000, 30000\] needs 3\.4 GiB, over the memory limit of 1\.0 GiB; raise it with CONVSCOPE_MEMORY_LIMIT/,
  );
});

test('a Keras model declaring a 30000x30000 input: refused before its Flatten index map is allocated', async () => {
  const bytes = await editConfig(join(FIXTURES, 'channels_last_model.h5'), (c) => (c.config.layers[0].config.batch_input_shape = [null, 30000, 30000, 3]));
  assert.match(await refused(async () => specFromKeras(await readKerasH5(bytes, 'big.h5')), 'E_TOO_LARGE'), /^big\.h5: the model's input \[3, 30000, 30000\] needs 10\.1 GiB/);
});

test("a layer output beyond the memory limit is refused, naming the layer", async () => {
  const spec = mnistSpec();
  const pad = { name: 'huge_pad', type: 'ZeroPadding2D' as const, activation: 'linear' as const, params: { padding: [9000, 9000, 9000, 9000] }, weights: {} };
  spec.layers.splice(1, 0, pad);
  assert.match(await refused(() => new Model(spec), 'E_TOO_LARGE'), /^the output \[16, 18024, 18024\] of layer 'huge_pad' needs 19\.4 GiB, over the memory limit/);
});

test('a kernel whose Cin does not match its input: refused at load, naming the folder and the layer', async () => {
  const dir = folderWith((json) => {
    Object.assign(json.layers[2].weights.kernel, { shape: [32, 8, 5, 5], length: 6400 });
  });
  try {
    assert.is(
      await refused(() => loadModel(dir), 'E_FORMAT'),
      `${dir}: layer 'conv2' (Conv2D): weight 'kernel' has shape [32, 8, 5, 5] but [32, 16, 5, 5] is needed for its [16, 12, 12] input`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('softmax on a feature map is refused at load, not at run time', async () => {
  const spec = mnistSpec();
  spec.layers[0].activation = 'softmax';
  assert.is(await refused(() => new Model(spec), 'E_UNSUPPORTED'), "layer 'conv1' (Conv2D): softmax is supported on vector outputs only, and this layer outputs [16, 24, 24]");
});

test('a spec built in memory goes through the same schema (E_ARGUMENT)', async () => {
  assert.is(await refused(() => new Model(null as unknown as ModelSpec), 'E_ARGUMENT'), 'model spec: (top level): expected a ModelSpec object, got null');
  const spec = mnistSpec();
  (spec.layers[2].params as Record<string, unknown>).strides = 'x';
  assert.is(await refused(() => new Model(spec), 'E_ARGUMENT'), 'model spec: layers[2].params.strides: expected two positive integers, got "x"');
  const plain = mnistSpec();
  (plain.layers[0].weights as Record<string, unknown>).kernel = { shape: [16, 1, 5, 5], data: new Float32Array(400) };
  assert.is(await refused(() => new Model(plain), 'E_ARGUMENT'), 'model spec: layers[0].weights.kernel: expected a Tensor, got an object');
});

test('a Model refuses inputs that are not Tensors, and a chunk size that would never finish', async () => {
  const model = new Model(mnistSpec());
  assert.is(await refused(() => model.forward(null as unknown as Tensor), 'E_ARGUMENT'), 'the input must be a Tensor, not null');
  assert.match(await refused(() => model.predict(Tensor.zeros([1, 28, 28]), undefined, { chunk: 0 }), 'E_ARGUMENT'), 'chunk must be');
  assert.match(await refused(() => model.forward(Tensor.zeros([3, 28, 28])), 'E_SHAPE'), 'input has shape [3, 28, 28] but the model takes [1, 28, 28]');
});

test('writeModelFolder (convert) never writes a folder that could not be loaded again', async () => {
  const spec = mnistSpec();
  spec.layers[6].weights.bias = new Tensor([128], new Float32Array(128).fill(NaN));
  const dir = join(mkdtempSync(join(tmpdir(), 'convscope-write-')), 'out');
  try {
    assert.match(await refused(() => writeModelFolder(spec, dir), 'E_NONFINITE'), "layer 'dense1' weight 'bias' has 128 NaN values");
    assert.not.ok(existsSync(dir), 'nothing written');
    const wrongCin = mnistSpec();
    wrongCin.layers[6].weights.kernel = new Tensor([500, 128]);
    assert.match(await refused(() => writeModelFolder(wrongCin, dir), 'E_FORMAT'), "layer 'dense1' (Dense): weight 'kernel' has shape [500, 128]");
    assert.not.ok(existsSync(dir), 'nothing written');
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('a model folder without weights.bin', async () => {
  const dir = folderWith(() => {});
  rmSync(join(dir, 'weights.bin'));
  try {
    assert.is(await refused(() => loadModel(dir), 'E_NOT_FOUND'), `${dir}: a folder without weights.bin; give a Keras .h5 or .keras file, a TensorFlow.js model.json or a folder written by 'convscope convert'`);
    assert.is(await refused(() => readModelFolder({ 'model.json': readFileSync(join(MNIST, 'model.json')) }, dir), 'E_FORMAT'), `${dir}/weights.bin: missing; a model folder has model.json and weights.bin`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped models still load', async () => {
  assert.is((await loadModel(MNIST)).layers.length, 10);
  for (const f of ['mnist_model.h5', 'channels_last_model.h5', 'functional_chain_model.h5', 'functional_pool_model.h5', 'channels_first_flatten_model.h5']) {
    assert.ok((await loadModel(join(FIXTURES, f))).layers.length > 0, f);
  }
});

test.run();
