import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, root } from './helpers/cli.ts';

const fixtures = join(root, 'test', 'fixtures', 'models');
const digit = join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy');

/** One clear line on stderr, a non-zero exit, no stack trace. */
function failsWith(args: string[], pattern: RegExp, code = 1): void {
  const r = cli(args);
  assert.is(r.status, code, `exit code for ${args.join(' ')}: ${r.status}\n${r.stderr}`);
  assert.not.match(r.stderr, /\n\s+at /, `stack trace in:\n${r.stderr}`);
  assert.match(r.stderr, pattern);
}

test('a file that is not HDF5', () => {
  failsWith(['info', join(fixtures, 'not_hdf5.h5')], /not_hdf5\.h5: not an HDF5 file/);
});

test('a truncated HDF5 file', () => {
  failsWith(['info', join(fixtures, 'truncated.h5')], /truncated\.h5: truncated HDF5 file/);
});

test('a Keras 3 .keras archive', () => {
  failsWith(['info', join(fixtures, 'keras3.keras')], /Keras 3 '\.keras' archive.*model\.save\('model\.h5'\)/);
});

test('a model with an unsupported layer names the layer and its class', () => {
  failsWith(['info', join(fixtures, 'unsupported_layer.h5')], /layer 'lstm_1' is a LSTM, which convscope does not support; supported layers: InputLayer, Conv2D/);
});

test('a model with an unsupported activation names it and its layer', () => {
  failsWith(['info', join(fixtures, 'unsupported_activation.h5')], /layer 'dense_1' \(Dense\): activation 'selu' is not supported; supported activations: linear, relu, sigmoid, tanh, softmax/);
});

test('weights whose shapes do not match the config', () => {
  failsWith(['info', join(fixtures, 'bad_weight_shape.h5')], /layer 'dense_1' \(Dense\): weight 'kernel' has shape \[5, 3\] but \[4, 3\] is needed/);
});

test('a weights-only file', () => {
  failsWith(['info', join(fixtures, 'weights_only.h5')], /weights only .*model\.save\('model\.h5'\)/);
});

test('a model that branches', () => {
  failsWith(['info', join(fixtures, 'branching_model.h5')], /only single-chain models are supported/);
});

test('a missing model file', () => {
  failsWith(['info', '/nonexistent/model.h5'], /no such file/);
});

test('an unknown command lists the commands', () => {
  failsWith(['explode'], /unknown command 'explode'; valid commands: info, convert, predict, activations/, 2);
});

test('an unknown option lists the valid ones', () => {
  failsWith(['predict', digit, '--frobnicate'], /Unknown option '--frobnicate'.*valid options: --top, --out, --scale, --mean, --std/, 2);
});

test('an unknown layer lists the layers', () => {
  failsWith(['activations', digit, '--layer', 'conv9', '--out', join(tmpdir(), 'x.npy')], /unknown layer 'conv9'; layers: conv1, pool1, conv2, pool2/);
});

test('an input of the wrong shape names both shapes', () => {
  failsWith(['predict', join(root, 'test', 'golden', 'kernels', 'relu_37.x.npy')], /input has shape \[37\] but the model takes \[1, 28, 28\]/);
});

test('an output in a folder that does not exist is refused before any work', () => {
  failsWith(['predict', digit, '--out', '/nonexistent/dir/p.npy'], /the folder \/nonexistent\/dir does not exist/, 2);
});

test('a failed run leaves no output file behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convscope-'));
  const out = join(dir, 'a.npy');
  const r = cli(['activations', join(fixtures, 'not_hdf5.h5'), digit, '--layer', 'conv1', '--out', out]);
  assert.is(r.status, 1);
  assert.not.ok(existsSync(out));
  assert.equal(readdirSync(dir), []);
});

test.run();
