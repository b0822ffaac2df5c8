import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { cli, failureLine, root } from './helpers/cli.ts';
import { toNpy } from '../src/io/npy.ts';
import { sequential } from '../src/train/sequential.ts';
import { writeModelFolder } from '../src/node/model-folder-files.ts';
import { readMnistSplits } from '../src/node/training-data.ts';
import { MNIST_HELD_OUT, mnistOrder } from '../src/train/data.ts';
import { evolutionGrid } from '../src/io/evolution-render.ts';
import { evolutionFiles } from '../src/io/evolution-html.ts';
import { Tensor } from '../src/tensor.ts';
import type { EvolutionSnapshot } from '../src/train/evolution.ts';

const dir = mkdtempSync(join(tmpdir(), 'convscope-train-'));
const path = (name: string) => join(dir, name);
const digit = join(root, 'examples', 'digit-7.png');

function ok(args: string[]): { stdout: string; stderr: string } {
  const r = cli(args);
  assert.is(r.status, 0, `${args.join(' ')}:\n${r.stderr}`);
  return r;
}

function failsWith(args: string[], pattern: RegExp, code = 1): void {
  const r = cli(args);
  assert.is(r.status, code, `exit code for ${args.join(' ')}: ${r.status}\n${r.stderr}`);
  assert.match(failureLine(r), pattern);
}

function npy(name: string, shape: number[], data: Float32Array | Int32Array): string {
  writeFileSync(path(name), toNpy(shape, data));
  return path(name);
}

test('mnist: 8,000 training and 2,000 held-out digits, every class in both, pixels 0..255', () => {
  const { train, heldOut } = readMnistSplits();
  assert.equal(train.x.shape, [8000, 1, 28, 28]);
  assert.equal(heldOut.x.shape, [MNIST_HELD_OUT, 1, 28, 28]);
  for (const split of [train, heldOut]) {
    const counts = new Array(10).fill(0);
    for (const y of split.y) counts[y]++;
    assert.ok(counts.every((c) => c >= 0.08 * split.y.length), counts.join(' '));
  }
  let max = 0;
  for (const v of heldOut.x.data) max = Math.max(max, v);
  assert.is(max, 255);
  assert.ok(heldOut.x.data.every((v) => Number.isInteger(v)));
});

test('mnistOrder spreads each class evenly: the held-out fifth is the last fifth of each file', () => {
  const counts = [5, 10, 3];
  const order = mnistOrder(counts);
  assert.is(order.length, 18);
  const tail = order.slice(-4).map(([d, j]) => `${d}:${j}`).sort();
  assert.equal(tail, ['0:4', '1:8', '1:9', '2:2']);
});

test('the evolution grid: a row per epoch, a column per channel; a layer name becomes a safe file name', () => {
  const snapshot = (epoch: number): EvolutionSnapshot => ({
    epoch, method: 'deconvnet', unit: 'all',
    layers: [{ layer: 'block/conv', channels: [0, 1, 2], featureMaps: [0, 1, 2].map((c) => new Tensor([4, 4], new Float32Array(16).fill(c))), reconstructions: [0, 1, 2].map(() => new Tensor([1, 8, 8])) }],
  });
  const snapshots = [0, 1].map(snapshot);
  const maps = evolutionGrid(snapshots, 'block/conv', 'featureMaps')!;
  const tile = 56; // 4x4 maps upscaled x14
  assert.ok(maps.width > 3 * tile && maps.width < 3 * (tile + 2) + 120, String(maps.width));
  assert.ok(maps.height > 2 * tile && maps.height < 2 * (tile + 2) + 30, String(maps.height));
  assert.is(evolutionGrid(snapshots, 'block/conv', 'filters'), undefined);
  const history = [0, 1].map((epoch) => ({ epoch, loss: epoch ? 0.5 : NaN, accuracy: epoch ? 0.8 : NaN, heldOutLoss: 2 - epoch, heldOutAccuracy: 0.1 + 0.7 * epoch, seconds: epoch }));
  const files = evolutionFiles({ modelName: 'm', dataText: 'd', settingsText: 's', baseImage: new Tensor([1, 8, 8]), baseText: 'b', history, snapshots });
  assert.equal([...files.keys()].sort(), ['evolution-block_conv.png', 'evolution.html']);
  assert.match(new TextDecoder().decode(files.get('evolution.html')), /held-out accuracy 80\.00%/);
});

test('a tiny run: progress, a line per epoch, evolution.html, strips and a model folder that loads', () => {
  const out = path('run');
  const r = ok(['train', '--epochs', '1', '--limit', '64', '--batch', '16', '--seed', '3', '--out', out]);
  assert.match(r.stdout, /^epoch 0\/1 \(before training\): held-out loss \d+\.\d{4}, accuracy \d+\.\d\d%$/m);
  assert.match(r.stdout, /^epoch 1\/1: training loss \d+\.\d{4}, accuracy \d+\.\d\d%; held-out loss \d+\.\d{4}, accuracy \d+\.\d\d% \(\d+\.\d s\)$/m);
  assert.match(r.stderr, /^epoch 1\/1 batch 4\/4: loss \d+\.\d{4}, \d+ img\/s, ETA 0:00$/m);
  const html = readFileSync(join(out, 'evolution.html'), 'utf8');
  for (const part of ['<svg', '<h2>conv1</h2>', '<h2>conv2</h2>', 'DeconvNet reconstructions', 'filters (kernel weights)', 'data:image/png;base64,']) assert.ok(html.includes(part), part);
  const strip = PNG.sync.read(readFileSync(join(out, 'evolution-conv1.png')));
  assert.ok(strip.width > 16 * 56 && strip.height > 3 * 2 * 56, `${strip.width}x${strip.height}`);
  assert.ok(existsSync(join(out, 'evolution-conv2.png')));
  // model.h5 and model/ hold the same trained weights: the same predictions, bit for bit, on held-out digits
  const { heldOut } = readMnistSplits();
  const batch = npy('held-out-50.npy', [50, 1, 28, 28], heldOut.x.data.slice(0, 50 * 784));
  ok(['predict', join(out, 'model.h5'), batch, '--out', path('from-h5.npy')]);
  ok(['predict', join(out, 'model'), batch, '--out', path('from-folder.npy')]);
  assert.ok(readFileSync(path('from-h5.npy')).equals(readFileSync(path('from-folder.npy'))), 'model.h5 and model/ predict alike');
});

test('the same seed gives the same weights, another seed others', () => {
  const run = (seed: string, name: string) => {
    ok(['train', '--epochs', '1', '--limit', '32', '--batch', '16', '--seed', seed, '--layers', 'conv1', '--out', path(name)]);
    return readFileSync(join(path(name), 'model', 'weights.bin'));
  };
  const a = run('5', 'a');
  assert.ok(a.equals(run('5', 'b')), 'seed 5 twice');
  assert.not.ok(a.equals(run('6', 'c')), 'seeds 5 and 6');
});

test('fine-tuning a model folder on --data X.npy Y.npy: the last 20% held out, a given image watched, no .h5', () => {
  const { train } = readMnistSplits();
  const x = npy('x.npy', [20, 1, 28, 28], train.x.data.slice(0, 20 * 784));
  const y = npy('y.npy', [20], train.y.slice(0, 20));
  const r = ok(['train', join(root, 'weights', 'mnist-cnn'), '--data', x, y, '--epochs', '1', '--batch', '8', '--watch', digit, '--layers', 'conv2', '--out', path('npy')]);
  assert.match(r.stdout, /on 16 samples, 4 held out/);
  // a model folder keeps no Keras description to write a .h5 from: one line says so, the rest is written
  assert.match(r.stdout, /^not written: \S*model\.h5 \(.+\)$/m);
  assert.not.ok(existsSync(join(path('npy'), 'model.h5')));
  assert.ok(existsSync(join(path('npy'), 'model', 'weights.bin')));
  assert.ok(readFileSync(join(path('npy'), 'evolution.html'), 'utf8').includes('digit-7.png'));
});

test('bad data: one clear line each', () => {
  const x = npy('x4.npy', [4, 1, 28, 28], new Float32Array(4 * 784));
  failsWith(['train', '--data', x, npy('y-range.npy', [4], Int32Array.from([0, 1, 10, 2]))], /y-range\.npy: label 10 \(sample 2\) is out of range: the model has 10 classes, so labels run from 0 to 9/);
  failsWith(['train', '--data', x, npy('y-3.npy', [3], Int32Array.from([0, 1, 2]))], /x4\.npy holds 4 samples but \S*y-3\.npy holds 3 labels; give one label per sample/);
  failsWith(['train', '--data', x, npy('y-frac.npy', [4], Float32Array.from([0, 1.5, 2, 3]))], /y-frac\.npy: label 1\.5 \(sample 1\) is not a whole number; labels are class indices 0\.\.9/);
  failsWith(['train', '--data', npy('x-rgb.npy', [4, 3, 28, 28], new Float32Array(4 * 3 * 784)), path('y-range.npy')], /x-rgb\.npy has shape .4, 3, 28, 28. but the model takes samples \(N, 1, 28, 28\)/);
  failsWith(['train', '--data', x], /--data .*x4\.npy needs its labels after it: --data X\.npy Y\.npy/, 2);
});

test('bad models and options: one clear line each', () => {
  const flat = path('no-weights');
  writeModelFolder(sequential([{ type: 'Activation', activation: 'softmax' }], { inputShape: [10] }).spec, flat);
  failsWith(['train', flat, '--data', npy('x10.npy', [2, 10], new Float32Array(20)), npy('y2.npy', [2], Int32Array.from([0, 1]))], /no trainable layer/);
  const maps = path('maps');
  writeModelFolder(sequential([{ type: 'Conv2D', name: 'maps', filters: 2, kernel_size: 3 }], { inputShape: [28, 28, 1] }).spec, maps);
  failsWith(['train', maps], /train fits classifiers: the output 'maps' gives .2, 26, 26. per sample, not a vector of class scores/);
  failsWith(['train', '--watch', npy('three.npy', [3, 28, 28], new Float32Array(3 * 784)), '--limit', '8'], /--watch \S*three\.npy: the image has shape .3, 28, 28. but the model takes .1, 28, 28./);
  failsWith(['train', '--layers', 'dense1'], /layer 'dense1' gives .128. per sample, not feature maps \(C, H, W\)/);
  failsWith(['train', '--layers', 'convX'], /unknown layer 'convX'; layers: rescaling, conv1, pool1, conv2/);
  failsWith(['train', '--optimizer', 'rmsprop'], /--optimizer must be adam or sgd, not 'rmsprop'/, 2);
  failsWith(['train', '--momentum', '0.9'], /--momentum and --nesterov are SGD's; add --optimizer sgd/, 2);
});

test.run();
