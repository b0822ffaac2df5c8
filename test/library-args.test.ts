import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Tensor, sizeOf, kerasPadding2d, samePadding, conv2d, conv2dBackwardData, conv2dBackwardFilter, maxPool2d, maxUnpool2d,
  avgPool2d, avgPool2dBackward, matmul, relu, reluBackward, sigmoid, tanh, sigmoidBackward, tanhBackward, add, mul, scale,
  softmax, channelAffine, parseNpy, parseNpyTensor, toNpy, Model, readImageTensor, modelInputFromBytes,
  backwardNet, occlusion, gradCam, maximize, topChannels, buildReport, reportHtml, reportFiles, renderGrid, encodePng,
  encodeJpeg, Canvas,
} from '../src/index.ts';
import { loadModel, loadModelSpec, readNpy, readNpyTensor, writeNpy, readImageTensor as readImageFile, readModelInput, writeReport, writePng, writeJpeg } from '../src/node.ts';
import { assertConvscopeError, expectConvscopeError } from './helpers/errors.ts';
import { greyPng } from './helpers/png.ts';
import { root } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'convscope-library-args-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const EMPTY = {};
const BAD: unknown[] = [null, 42, 'x', EMPTY];

interface Case {
  name: string;
  call: (...args: any[]) => unknown;
  args: () => unknown[];
  /** Per position, the bad values that are valid there (42 as a size, {} as options) or that name a file (left to the file reader). */
  accept?: Record<number, unknown[]>;
}

let model: Model;
let spec: Awaited<ReturnType<typeof loadModelSpec>>;
let digit: Tensor;
let pngPath: string;
let npyPath: string;
let pngBytes: Uint8Array;

test.before(async () => {
  model = await loadModel(join(root, 'weights', 'mnist-cnn'));
  spec = await loadModelSpec(join(root, 'weights', 'mnist-cnn'));
  digit = new Tensor([1, 28, 28]);
  for (let i = 0; i < digit.size; i++) digit.data[i] = (i * 37) % 256;
  pngPath = join(dir, 'digit.png');
  pngBytes = greyPng(Array.from({ length: 28 }, (_, y) => Array.from({ length: 28 }, (_, x) => (x * y) % 256)));
  writeFileSync(pngPath, pngBytes);
  npyPath = join(dir, 'digit.npy');
  writeFileSync(npyPath, toNpy(digit.shape, digit.data));
});

const t = (shape: number[], fill = 1) => new Tensor(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill));
const out = (name: string) => join(dir, name);
// A path that does not exist is the file reader's to report (E_NOT_FOUND); a string is a valid path.
const PATH = ['x'];

const CASES: Case[] = [
  { name: 'new Tensor', call: (s, d) => new Tensor(s, d), args: () => [[2, 2], [1, 2, 3, 4]] },
  { name: 'sizeOf', call: sizeOf, args: () => [[2, 3]] },
  { name: 'kerasPadding2d', call: kerasPadding2d, args: () => ['same', [4, 4], [3, 3], [1, 1], [1, 1]] },
  { name: 'samePadding', call: samePadding, args: () => [4, 3, 1, 1], accept: { 0: [42], 1: [42], 2: [42], 3: [42] } },
  { name: 'conv2d', call: conv2d, args: () => [t([1, 1, 4, 4]), t([2, 1, 3, 3]), t([2]), {}], accept: { 2: [null], 3: [EMPTY] } },
  { name: 'conv2dBackwardData', call: conv2dBackwardData, args: () => [t([1, 2, 2, 2]), t([2, 1, 3, 3]), [4, 4], {}], accept: { 3: [EMPTY] } },
  { name: 'conv2dBackwardFilter', call: conv2dBackwardFilter, args: () => [t([1, 1, 4, 4]), t([1, 2, 2, 2]), [3, 3], {}], accept: { 3: [EMPTY] } },
  { name: 'maxPool2d', call: maxPool2d, args: () => [t([1, 1, 4, 4]), { kernel: [2, 2] }] },
  { name: 'maxUnpool2d', call: maxUnpool2d, args: () => [t([1, 1, 2, 2]), new Int32Array(4), [1, 1, 4, 4], { kernel: [2, 2] }] },
  { name: 'avgPool2d', call: avgPool2d, args: () => [t([1, 1, 4, 4]), { kernel: [2, 2] }] },
  { name: 'avgPool2dBackward', call: avgPool2dBackward, args: () => [t([1, 1, 2, 2]), [1, 1, 4, 4], { kernel: [2, 2] }] },
  { name: 'matmul', call: matmul, args: () => [t([2, 3]), t([3, 2]), {}], accept: { 2: [EMPTY] } },
  { name: 'relu', call: relu, args: () => [t([3])] },
  { name: 'sigmoid', call: sigmoid, args: () => [t([3])] },
  { name: 'tanh', call: tanh, args: () => [t([3])] },
  { name: 'reluBackward', call: reluBackward, args: () => ['guided', t([3]), t([3])] },
  { name: 'sigmoidBackward', call: sigmoidBackward, args: () => [t([3]), t([3])] },
  { name: 'tanhBackward', call: tanhBackward, args: () => [t([3]), t([3])] },
  { name: 'add', call: add, args: () => [t([3]), t([3])] },
  { name: 'mul', call: mul, args: () => [t([3]), t([3])] },
  { name: 'scale', call: scale, args: () => [t([3]), 2], accept: { 1: [42] } },
  { name: 'softmax', call: softmax, args: () => [t([2, 3])] },
  { name: 'channelAffine', call: channelAffine, args: () => [t([1, 2, 2, 2]), t([2]), t([2]), 1], accept: { 3: [null] } },
  { name: 'parseNpy', call: parseNpy, args: () => [toNpy([2], new Float32Array([1, 2])), 'a.npy'], accept: { 1: BAD } },
  { name: 'toNpy', call: toNpy, args: () => [[2], new Float32Array([1, 2])] },
  { name: 'parseNpyTensor', call: parseNpyTensor, args: () => [toNpy([2], new Float32Array([1, 2])), 'a.npy'], accept: { 1: BAD } },
  { name: 'readNpy', call: readNpy, args: () => [npyPath], accept: { 0: PATH } },
  { name: 'readNpyTensor', call: readNpyTensor, args: () => [npyPath], accept: { 0: PATH } },
  { name: 'writeNpy', call: writeNpy, args: () => [out('w.npy'), t([2])], accept: { 0: PATH } },
  { name: 'new Model', call: (s) => new Model(s), args: () => [spec] },
  { name: 'model.forward', call: (x, u, o) => model.forward(x, u, o), args: () => [digit, 'conv1', {}], accept: { 2: [EMPTY] } },
  { name: 'model.predict', call: (x, u, o) => model.predict(x, u, o), args: () => [digit, 'conv1', {}], accept: { 2: [EMPTY] } },
  { name: 'model.layer', call: (n) => model.layer(n), args: () => ['conv1'] },
  { name: 'readImageTensor (bytes)', call: readImageTensor, args: () => [pngBytes, { channels: 1, height: 28, width: 28 }] },
  { name: 'readImageTensor (path)', call: readImageFile, args: () => [pngPath, { channels: 1, height: 28, width: 28 }], accept: { 0: PATH } },
  { name: 'modelInputFromBytes', call: modelInputFromBytes, args: () => [pngBytes, [1, 28, 28], {}], accept: { 2: [EMPTY] } },
  { name: 'readModelInput', call: readModelInput, args: () => [pngPath, [1, 28, 28], {}], accept: { 0: PATH, 2: [EMPTY] } },
  { name: 'backwardNet', call: backwardNet, args: () => [model, digit, { layer: 'conv2', channel: 1 }] },
  { name: 'occlusion', call: occlusion, args: () => [model, digit, { size: 14, stride: 14 }] },
  { name: 'gradCam', call: gradCam, args: () => [model, digit, { layer: 'conv2' }], accept: { 2: [EMPTY] } },
  { name: 'maximize', call: maximize, args: () => [model, { layer: 'conv1', channel: 0, iterations: 2 }] },
  { name: 'topChannels', call: topChannels, args: () => [model, digit, { layer: 'conv1', k: 2 }] },
  { name: 'buildReport', call: buildReport, args: () => [model, digit, { inputName: 'digit.png', modelName: 'mnist', topK: 1 }] },
  { name: 'reportHtml', call: reportHtml, args: () => [{ title: 't', prediction: [], sections: [] }] },
  { name: 'reportFiles', call: reportFiles, args: () => [{ title: 't', prediction: [], sections: [] }] },
  { name: 'encodePng', call: encodePng, args: () => [new Canvas(2, 2)] },
  { name: 'encodeJpeg', call: encodeJpeg, args: () => [new Canvas(2, 2), 90], accept: { 1: [42] } },
  { name: 'writeReport', call: writeReport, args: () => [{ title: 't', prediction: [], sections: [] }, out('report')], accept: { 1: PATH } },
  { name: 'renderGrid', call: renderGrid, args: () => [[new Float32Array(4)], 2, 2, {}], accept: { 3: [EMPTY] } },
  { name: 'writePng', call: writePng, args: () => [out('a.png'), new Canvas(2, 2)], accept: { 0: PATH } },
  { name: 'writeJpeg', call: writeJpeg, args: () => [out('a.jpg'), new Canvas(2, 2), 90], accept: { 0: PATH, 2: [42] } },
  { name: 'new Canvas', call: (w, h, b) => new Canvas(w, h, b), args: () => [2, 2, [0, 0, 0]], accept: { 0: [42], 1: [42] } },
];

for (const c of CASES) {
  test(`${c.name}: valid arguments work, and null, 42, 'x', {} in each position give E_ARGUMENT or E_SHAPE`, async () => {
    await c.call(...c.args());
    const positions = c.args().length;
    for (let i = 0; i < positions; i++) {
      for (const bad of BAD) {
        if (c.accept?.[i]?.includes(bad)) continue;
        const args = c.args();
        args[i] = bad;
        let error: unknown;
        try {
          await c.call(...args);
        } catch (e) {
          error = e;
        }
        if (error === undefined) assert.unreachable(`${c.name} accepted ${JSON.stringify(bad)} as argument ${i + 1}`);
        assertConvscopeError(error, ['E_ARGUMENT', 'E_SHAPE']);
      }
    }
  });
}

test("backwardNet with method 'bogus' is refused, listing the methods", async () => {
  await expectConvscopeError(() => backwardNet(model, digit, { layer: 'conv2', method: 'bogus' as never }), 'E_ARGUMENT', "unknown method 'bogus'; valid methods: deconvnet, salinet, desalinet, guided");
  await expectConvscopeError(() => backwardNet(model, digit, { layer: 'conv2', unit: 'most' as never }), 'E_ARGUMENT', "unknown unit 'most'; valid units: all, max");
});

test('a null model, a plain array as input, a string channel, an unknown layer: one clear line each', async () => {
  await expectConvscopeError(() => backwardNet(null as never, digit, { layer: 'conv2' }), 'E_ARGUMENT', 'the model must be a Model', 'not null');
  await expectConvscopeError(() => backwardNet(model, Array.from(digit.data) as never, { layer: 'conv2' }), 'E_ARGUMENT', 'the input must be a Tensor, not an array of 784');
  await expectConvscopeError(() => backwardNet(model, digit, { layer: 'conv2', channel: '3' as never }), 'E_ARGUMENT', "channel the string '3' is out of range: layer 'conv2' has 32 channels (0..31)");
  await expectConvscopeError(() => gradCam(model, digit, { layer: 'conv9' }), 'E_ARGUMENT', "unknown layer 'conv9'; layers: conv1, pool1, conv2");
  await expectConvscopeError(() => model.predict(new Tensor([1, 27, 28])), 'E_SHAPE', 'the input has shape [1, 27, 28] but the model takes [1, 28, 28]');
});

test('negative, NaN and fractional sizes are refused with the valid range', async () => {
  await expectConvscopeError(() => occlusion(model, digit, { size: -4, stride: 4 }), 'E_ARGUMENT', 'the occluder size must be a positive whole number, not the number -4');
  await expectConvscopeError(() => occlusion(model, digit, { size: 4, stride: NaN }), 'E_ARGUMENT', 'the stride must be a positive whole number, not the number NaN');
  await expectConvscopeError(() => occlusion(model, digit, { size: 4.5, stride: 4 }), 'E_ARGUMENT', 'not the number 4.5');
  await expectConvscopeError(() => topChannels(model, digit, { layer: 'conv1', k: 0 }), 'E_ARGUMENT', 'k must be a positive whole number');
  await expectConvscopeError(() => maximize(model, { layer: 'conv1', channel: 0, iterations: -1 }), 'E_ARGUMENT', 'iterations must be a whole number >= 0');
  await expectConvscopeError(() => maximize(model, { layer: 'conv1', channel: 0, lr: NaN }), 'E_ARGUMENT', 'lr must be a finite number above 0');
  await expectConvscopeError(() => maximize(model, { layer: 'conv1', channel: 0, range: [5, 1] }), 'E_ARGUMENT', 'the range 5..1 is empty');
  await expectConvscopeError(() => maxPool2d(t([1, 1, 4, 4]), { kernel: [2, 1.5] }), 'E_ARGUMENT', 'maxPool2d: kernel must be [height, width], two whole numbers >= 1, not [2, 1.5]');
  await expectConvscopeError(() => conv2d(t([1, 1, 4, 4]), t([1, 1, 3, 3]), null, { padding: { top: -1, bottom: 0, left: 0, right: 0 } }), 'E_ARGUMENT', 'conv2d: padding must be { top, bottom, left, right }');
  await expectConvscopeError(() => renderGrid([new Float32Array(4)], 2, 2, { cmap: 'jet' as never }), 'E_ARGUMENT', "unknown colormap 'jet'; valid colormaps: viridis, grey, diverging");
  await expectConvscopeError(() => writeJpeg(out('q.jpg'), new Canvas(2, 2), 0), 'E_ARGUMENT', 'the JPEG quality must be a whole number from 1 to 100');
});

test.run();
