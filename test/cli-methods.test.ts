import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { readNpyTensor } from '../src/node/inputs.ts';
import { cli, root } from './helpers/cli.ts';

const digit = join(root, 'examples', 'digit-7.png');
const dir = mkdtempSync(join(tmpdir(), 'convscope-cli-'));
const out = (name: string) => join(dir, name);

function ok(args: string[]): string {
  const r = cli(args);
  assert.is(r.status, 0, `${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

function png(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

function failsWith(args: string[], pattern: RegExp): void {
  const r = cli(args);
  assert.ok(r.status !== 0, `${args.join(' ')} should fail`);
  assert.not.match(r.stderr, /\n\s+at /, `stack trace in:\n${r.stderr}`);
  assert.match(r.stderr, pattern);
}

test('predict reads a PNG digit and predicts 7', () => {
  assert.match(ok(['predict', digit, '--top', '1']), /^class 7 1\.0000/);
});

test('activations: .npy is the layer output, .png a grid', async () => {
  ok(['activations', digit, '--layer', 'conv2', '--out', out('conv2.npy')]);
  assert.equal((await readNpyTensor(out('conv2.npy'))).shape, [32, 8, 8]);
  ok(['activations', digit, '--layer', 'conv1', '--out', out('conv1.png')]);
  const p = png(out('conv1.png'));
  assert.ok(p.width > 200 && p.height > 200, `${p.width}x${p.height}`);
});

test('deconv writes the raw (C,H,W) result and a picture', async () => {
  ok(['deconv', digit, '--layer', 'conv2', '--channel', '4', '--unit', 'max', '--method', 'guided', '--out', out('d.npy')]);
  assert.equal((await readNpyTensor(out('d.npy'))).shape, [1, 28, 28]);
  ok(['deconv', digit, '--layer', 'dense1', '--channel', '3', '--abs', '--out', out('d.png')]);
  assert.is(png(out('d.png')).width, 224);
});

test('deconv from the last layer without a channel starts from the predicted class', async () => {
  ok(['deconv', digit, '--layer', 'out', '--method', 'salinet', '--out', out('class.npy')]);
  ok(['deconv', digit, '--layer', 'out', '--channel', '7', '--method', 'salinet', '--out', out('class7.npy')]);
  ok(['deconv', digit, '--layer', 'out', '--channel', '3', '--method', 'salinet', '--out', out('class3.npy')]);
  const [d, d7, d3] = await Promise.all(['class.npy', 'class7.npy', 'class3.npy'].map((f) => readNpyTensor(out(f))));
  assert.equal(Array.from(d.data), Array.from(d7.data));
  assert.not.equal(Array.from(d.data), Array.from(d3.data));
});

test('top writes a picture of the strongest channels', () => {
  assert.match(ok(['top', digit, '--layer', 'conv2', '--k', '4', '--out', out('top.png')]), /channels \d+, \d+, \d+, \d+/);
  assert.ok(existsSync(out('top.png')));
});

test('occlusion writes the grid, the attribution and the overlay', async () => {
  ok(['occlusion', digit, '--size', '8', '--stride', '4', '--out', out('occ.npy'), '--attribution', out('attr.npy'), '--overlay', out('ov.png')]);
  assert.equal((await readNpyTensor(out('occ.npy'))).shape, [6, 6]);
  assert.equal((await readNpyTensor(out('attr.npy'))).shape, [28, 28]);
  assert.is(png(out('ov.png')).width, 224);
});

test('gradcam writes the map at the layer resolution and an overlay', async () => {
  ok(['gradcam', digit, '--layer', 'conv2', '--out', out('cam.npy')]);
  assert.equal((await readNpyTensor(out('cam.npy'))).shape, [8, 8]);
  ok(['gradcam', digit, '--layer', 'conv2', '--class', '1', '--out', out('cam.png')]);
  ok(['gradcam', digit, '--layer', 'conv2', '--upsample', '--out', out('cam28.npy')]);
  assert.equal((await readNpyTensor(out('cam28.npy'))).shape, [28, 28]);
});

test('maximize writes an image in the valid range', async () => {
  ok(['maximize', '--layer', 'conv1', '--channel', '2', '--iterations', '20', '--out', out('m.npy')]);
  const m = await readNpyTensor(out('m.npy'));
  assert.equal(m.shape, [1, 28, 28]);
  assert.ok(m.data.every((v) => v >= 0 && v <= 255));
});

test('explain writes a report whose pictures all exist', () => {
  const report = out('report');
  ok(['explain', '--out', report]);
  const html = readFileSync(join(report, 'index.html'), 'utf8');
  const images = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
  const captions = [...html.matchAll(/<figcaption>/g)].length;
  assert.ok(images.length >= 10, `${images.length} images`);
  assert.is(captions, images.length);
  for (const f of images) assert.ok(existsSync(join(report, f)), f);
});

test('an unknown layer lists the layers', () => {
  failsWith(['deconv', digit, '--layer', 'conv3', '--out', out('x.npy')], /unknown layer 'conv3'; layers: conv1, pool1, conv2/);
});

test('a channel out of range names the valid range', () => {
  failsWith(['deconv', digit, '--layer', 'conv2', '--channel', '40', '--out', out('x.npy')], /channel 40 is out of range: layer 'conv2' has 32 channels \(0\.\.31\)/);
});

test('an unknown backward method lists the methods', () => {
  failsWith(['deconv', digit, '--layer', 'conv2', '--method', 'lrp', '--out', out('x.npy')], /unknown method 'lrp'; valid methods: deconvnet, salinet, desalinet, guided/);
});

test('an occluder larger than the image says the largest size', () => {
  failsWith(['occlusion', digit, '--size', '40', '--stride', '4', '--out', out('x.npy')], /the 40x40 occluder is larger than the 28x28 input; choose a size up to 28/);
});

test('Grad-CAM from a layer without a feature map names the layers it can start from', () => {
  failsWith(['gradcam', digit, '--layer', 'dense1', '--out', out('x.npy')], /layer 'dense1' has output \[128\]; choose a layer with a \(C, H, W\) output: conv1, pool1, conv2, pool2, conv4_dropout/);
});

test('a class out of range names the classes', () => {
  failsWith(['occlusion', digit, '--size', '8', '--stride', '4', '--class', '10', '--out', out('x.npy')], /class 10 is out of range; the model has 10 classes \(0\.\.9\)/);
});

test.run();
