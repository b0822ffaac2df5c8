import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, failureLine, root } from './helpers/cli.ts';

const fixtures = join(root, 'test', 'fixtures', 'models');
const digit = join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy');
const png = join(root, 'examples', 'digit-7.png');

/** One clear line on stderr (and the usage after a usage error), the exit code, no internal text; returns the line. */
function failsWith(args: string[], pattern: RegExp, code = 1): string {
  const r = cli(args);
  assert.is(r.status, code, `exit code for ${args.join(' ')}: ${r.status}\n${r.stderr}`);
  const line = failureLine(r);
  assert.match(line, pattern);
  return line;
}

test('a file that is not HDF5', () => {
  failsWith(['info', join(fixtures, 'not_hdf5.h5')], /not_hdf5\.h5: not an HDF5 file/);
});

test('a truncated HDF5 file', () => {
  failsWith(['info', join(fixtures, 'truncated.h5')], /truncated\.h5: truncated HDF5 file/);
});

test('a truncated Keras 3 .keras archive', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'convscope-cli-')), 'cut.keras');
  const whole = readFileSync(join(fixtures, 'keras3.keras'));
  writeFileSync(path, whole.subarray(0, whole.length - 100));
  failsWith(['info', path], /cut\.keras: is not a readable zip archive, it may be truncated or damaged/);
});

test('a model with an unsupported layer names the layer and its class', () => {
  failsWith(['info', join(fixtures, 'unsupported_layer.h5')], /layer 'lstm_1' is a LSTM, which convscope does not support; supported layers: InputLayer, .*Conv2D, .*DepthwiseConv2D/);
});

test('a model with an unsupported activation names it and its layer', () => {
  failsWith(['info', join(fixtures, 'unsupported_activation.h5')], /layer 'dense_1' \(Dense\): activation 'mish' is not supported; supported activations: linear, relu, sigmoid, tanh, softmax, relu6, swish/);
});

test('weights whose shapes do not match the config', () => {
  failsWith(['info', join(fixtures, 'bad_weight_shape.h5')], /layer 'dense_1' \(Dense\): weight 'kernel' has shape \[5, 3\] but \[4, 3\] is needed/);
});

test('a weights-only file', () => {
  failsWith(['info', join(fixtures, 'weights_only.h5')], /weights only .*model\.save\('model\.h5'\)/);
});

test('a model that branches is a graph, shown node by node', () => {
  const r = cli(['info', join(fixtures, 'branching_model.h5')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /add\s+Add\s+.*conv_b, conv_a/);
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

// issue 9: the CLI's rough edges

test('a missing input file: one line, "FILE: no such file"', () => {
  failsWith(['predict', 'nothere/digit.png'], /^convscope predict: nothere\/digit\.png: no such file( or folder)?$/);
});

test('a library message that starts with the command name gets one prefix', () => {
  const line = failsWith(['gradcam', png, '--layer', 'dense1', '--out', join(tmpdir(), 'cam.png')], /layer 'dense1' has output \[128\]/);
  assert.match(line, /^convscope gradcam: layer 'dense1'/);
});

test('negative numbers follow their option directly: --scale -1, --mean -0.5', () => {
  const spaced = cli(['predict', png, '--scale', '-1', '--mean', '-0.5', '--top', '2']);
  const joined = cli(['predict', png, '--scale=-1', '--mean=-0.5', '--top', '2']);
  assert.is(spaced.status, 0, spaced.stderr);
  assert.is(spaced.stdout, joined.stdout);
  assert.is.not(spaced.stdout, cli(['predict', png, '--top', '2']).stdout);
});

test('a value starting with - that is not a number says how to give it', () => {
  failsWith(['activations', png, '--layer', '-conv1', '--out', join(tmpdir(), 'a.npy')], /^convscope activations: --layer needs a value; for a value that starts with '-', write --layer=VALUE$/, 2);
});

test('an empty value is refused, not taken as 0', () => {
  failsWith(['deconv', png, '--layer', 'conv1', '--channel', '', '--out', join(tmpdir(), 'd.npy')], /^convscope deconv: --channel must be an integer >= 0, not ''$/, 2);
  failsWith(['predict', png, '--scale', ''], /^convscope predict: --scale must be a number, not ''$/, 2);
  failsWith(['predict', png, '--mean', '1,,2'], /^convscope predict: --mean must be numbers separated by commas, not '1,,2'$/, 2);
});

test('help COMMAND prints that command\'s usage, help with an unknown command lists them', () => {
  const r = cli(['help', 'occlusion']);
  assert.is(r.status, 0);
  assert.match(r.stdout, /^Usage: convscope occlusion /);
  failsWith(['help', 'bogus'], /^convscope: unknown command 'bogus'; valid commands: info, convert, predict/, 2);
});

test('--allow-nonfinite is accepted by the commands that take an input', () => {
  const r = cli(['predict', png, '--allow-nonfinite', '--top', '1']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^class 7 /);
});

test('--memory-limit with something that is not a size is a usage error', () => {
  failsWith(['predict', png, '--memory-limit', '2 lots'], /^convscope predict: --memory-limit: '2 lots' is not a size; give bytes, or a number with K, M or G \(e\.g\. 2G\)$/, 2);
});

test.run();
