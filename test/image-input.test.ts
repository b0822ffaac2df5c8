import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { readImageTensor } from '../src/node/inputs.ts';
import { readImageTensor as readImageBytes } from '../src/io/image-input.ts';
import { expectConvscopeError } from './helpers/errors.ts';
import { pngChunk } from './helpers/png.ts';

const dir = mkdtempSync(join(tmpdir(), 'convscope-image-input-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A PNG written by hand, so every colour type and bit depth can be made; rows are raw scanline bytes. */
function png(width: number, height: number, colorType: 0 | 2 | 3 | 4 | 6, depth: number, rows: number[][], palette?: number[]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const scanlines = Buffer.concat(rows.map((r) => Buffer.from([0, ...r])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    ...(palette ? [pngChunk('PLTE', Buffer.from(palette))] : []),
    pngChunk('IDAT', deflateSync(scanlines)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

function greyPng(name: string, values: number[][]): string {
  return file(name, png(values[0].length, values.length, 0, 8, values));
}

function expectThrows(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  try {
    fn();
  } catch (e) {
    const message = (e as Error).message;
    for (const p of parts) assert.ok(typeof p === 'string' ? message.includes(p) : p.test(message), `"${message}" lacks ${p}`);
    return;
  }
  assert.unreachable('no error thrown');
}

const luma = (r: number, g: number, b: number): number => Math.fround(0.299 * r + 0.587 * g + 0.114 * b);
const RGB_2X2 = [
  [255, 0, 0, 0, 255, 0],
  [0, 0, 255, 10, 20, 30],
];

test('2x2 RGB PNG as grey: ITU-R 601 luma, exactly', () => {
  const x = readImageTensor(file('rgb.png', png(2, 2, 2, 8, RGB_2X2)), { channels: 1, height: 2, width: 2 });
  assert.equal(x.shape, [1, 2, 2]);
  assert.equal(Array.from(x.data), [luma(255, 0, 0), luma(0, 255, 0), luma(0, 0, 255), luma(10, 20, 30)]);
});

test('2x2 RGB PNG as RGB: channels-first planes', () => {
  const x = readImageTensor(file('rgb.png', png(2, 2, 2, 8, RGB_2X2)), { channels: 3, height: 2, width: 2 });
  assert.equal(x.shape, [3, 2, 2]);
  assert.equal(Array.from(x.data), [255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30]);
});

test('grey PNG as RGB repeats the grey', () => {
  const x = readImageTensor(greyPng('grey.png', [[7, 200]]), { channels: 3, height: 1, width: 2 });
  assert.equal(Array.from(x.data), [7, 200, 7, 200, 7, 200]);
});

test('4x4 -> 2x2 bilinear, half-pixel centres: the mean of each 2x2 block', () => {
  const path = greyPng('4x4.png', [
    [0, 10, 50, 30],
    [20, 30, 70, 90],
    [100, 0, 5, 7],
    [40, 60, 1, 3],
  ]);
  const x = readImageTensor(path, { channels: 1, height: 2, width: 2 });
  assert.equal(Array.from(x.data), [15, 60, 50, 4]);
});

test('2x2 -> 4x4 bilinear: src = (dst + 0.5) / 2 - 0.5, clamped to the edge', () => {
  const x = readImageTensor(greyPng('2x2.png', [[0, 100], [200, 40]]), { channels: 1, height: 4, width: 4 });
  // Along each axis the source positions are 0 (clamped from -0.25), 0.25, 0.75 and 1 (clamped from 1.25).
  assert.equal(Array.from(x.data), [
    0, 25, 75, 100,
    50, 58.75, 76.25, 85,
    150, 126.25, 78.75, 55,
    200, 160, 80, 40,
  ]);
});

test('1x3 -> 1x2: only the width is resized', () => {
  // src = (dst + 0.5) * 1.5 - 0.5 = 0.25 and 1.75
  const x = readImageTensor(greyPng('1x3.png', [[0, 100, 200]]), { channels: 1, height: 1, width: 2 });
  assert.equal(Array.from(x.data), [25, 175]);
});

test('scale, then per-channel mean and std', () => {
  const path = file('one.png', png(1, 1, 2, 8, [[255, 128, 0]]));
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const x = readImageTensor(path, { channels: 3, height: 1, width: 1, scale: 1 / 255, mean, std });
  [255, 128, 0].forEach((v, c) => assert.ok(Math.abs(x.data[c] - (v / 255 - mean[c]) / std[c]) < 1e-6, `channel ${c}`));
});

test('a single mean and std apply to every channel', () => {
  const path = file('one.png', png(1, 1, 2, 8, [[255, 0, 51]]));
  const x = readImageTensor(path, { channels: 3, height: 1, width: 1, mean: [127.5], std: [127.5] });
  assert.equal(Array.from(x.data), [1, -1, Math.fround((51 - 127.5) / 127.5)]);
});

test('scale alone: 0..255 to 0..1', () => {
  const x = readImageTensor(greyPng('s.png', [[0, 255]]), { channels: 1, height: 1, width: 2, scale: 1 / 255 });
  assert.equal(Array.from(x.data), [0, 1]);
});

test('JPEG round trip within JPEG tolerance', () => {
  const w = 16;
  const h = 16;
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) rgba.set([x * 16, y * 16, 128, 255], (y * w + x) * 4);
  }
  const path = file('smooth.jpg', jpeg.encode({ width: w, height: h, data: rgba }, 95).data);
  const t = readImageTensor(path, { channels: 3, height: h, width: w });
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < w * h; i++) worst = Math.max(worst, Math.abs(t.data[c * w * h + i] - rgba[4 * i + c]));
  }
  assert.ok(worst <= 6, `max |error| ${worst}`);
});

test('format comes from the magic bytes, not the extension', () => {
  const pngAsJpg = file('really-png.jpg', png(1, 1, 0, 8, [[42]]));
  assert.equal(Array.from(readImageTensor(pngAsJpg, { channels: 1, height: 1, width: 1 }).data), [42]);
  const grey = new Uint8Array(64 * 4).fill(90);
  const jpgAsPng = file('really-jpeg.png', jpeg.encode({ width: 8, height: 8, data: grey }, 95).data);
  const t = readImageTensor(jpgAsPng, { channels: 1, height: 8, width: 8 });
  assert.ok(t.data.every((v) => Math.abs(v - 90) <= 2));
});

test('RGBA PNG: alpha is dropped, not composited', () => {
  const path = file('rgba.png', png(2, 1, 6, 8, [[200, 100, 50, 0, 10, 20, 30, 128]]));
  const x = readImageTensor(path, { channels: 3, height: 1, width: 2 });
  assert.equal(Array.from(x.data), [200, 10, 100, 20, 50, 30]);
});

test('grey + alpha PNG', () => {
  const x = readImageTensor(file('ga.png', png(2, 1, 4, 8, [[30, 0, 250, 255]])), { channels: 1, height: 1, width: 2 });
  assert.equal(Array.from(x.data), [30, 250]);
});

test('16-bit grey PNG is scaled to 0..255 without rounding', () => {
  const be16 = (v: number): number[] => [v >> 8, v & 255];
  const path = file('g16.png', png(4, 1, 0, 16, [[0, 257 * 100, 65535, 1000].flatMap(be16)]));
  const x = readImageTensor(path, { channels: 1, height: 1, width: 4 });
  assert.equal(Array.from(x.data), [0, 100, 255, Math.fround(1000 / 257)]);
});

test('16-bit RGB PNG', () => {
  const be16 = (v: number): number[] => [v >> 8, v & 255];
  const path = file('rgb16.png', png(1, 1, 2, 16, [[65535, 0, 257 * 7].flatMap(be16)]));
  assert.equal(Array.from(readImageTensor(path, { channels: 3, height: 1, width: 1 }).data), [255, 0, 7]);
});

test('palette PNG (2-bit indices)', () => {
  const palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 9, 8, 7];
  // Four pixels with indices 3, 1, 0, 2 packed into one byte: 11 01 00 10.
  const path = file('pal.png', png(4, 1, 3, 2, [[0b11010010]], palette));
  const x = readImageTensor(path, { channels: 3, height: 1, width: 4 });
  assert.equal(Array.from(x.data), [9, 255, 0, 0, 8, 0, 0, 255, 7, 0, 0, 0]);
});

test('1-bit grey PNG: 0 and 1 become 0 and 255', () => {
  const path = file('bits.png', png(3, 1, 0, 1, [[0b10100000]]));
  assert.equal(Array.from(readImageTensor(path, { channels: 1, height: 1, width: 3 }).data), [255, 0, 255]);
});

test('error: neither PNG nor JPEG, names the file and the supported formats', () => {
  const gif = file('anim.gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'));
  expectThrows(() => readImageTensor(gif, { channels: 1, height: 1, width: 1 }), gif, 'not a PNG or JPEG image', 'PNG, JPEG');
  const empty = file('empty.png', new Uint8Array(0));
  expectThrows(() => readImageTensor(empty, { channels: 1, height: 1, width: 1 }), empty, 'not a PNG or JPEG image');
});

test('error: truncated PNG', () => {
  const whole = png(4, 4, 0, 8, Array.from({ length: 4 }, () => [1, 2, 3, 4]));
  const path = file('cut.png', whole.subarray(0, whole.length - 20));
  expectThrows(() => readImageTensor(path, { channels: 1, height: 4, width: 4 }), path, 'corrupt or truncated PNG');
});

test('error: truncated JPEG', () => {
  const whole = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256).fill(77) }, 90).data;
  const path = file('cut.jpg', whole.subarray(0, whole.length >> 1));
  expectThrows(() => readImageTensor(path, { channels: 3, height: 8, width: 8 }), path, 'cannot decode JPEG');
});

test('error: mean or std of the wrong length', () => {
  const path = greyPng('ok.png', [[1]]);
  expectThrows(() => readImageTensor(path, { channels: 3, height: 1, width: 1, mean: [1, 2] }), path, 'mean has 2 entries but the input has 3 channels');
  expectThrows(() => readImageTensor(path, { channels: 1, height: 1, width: 1, std: [1, 2, 3] }), path, 'std has 3 entries but the input has 1 channel; give one entry, or one per channel');
  expectThrows(() => readImageTensor(path, { channels: 1, height: 1, width: 1, std: [0] }), 'std has a 0 entry');
});

test('error: bad size or channel count', () => {
  const path = greyPng('ok.png', [[1]]);
  expectThrows(() => readImageTensor(path, { channels: 1, height: 0, width: 2 }), 'height and width must be positive integers');
  expectThrows(() => readImageTensor(path, { channels: 2 as 1, height: 1, width: 1 }), 'channels must be 1 or 3');
});

test('--scale 1e38 and --std 1e-45 would make every pixel Infinity: refused, naming the file and the values', async () => {
  const path = greyPng('scaled.png', [[1, 200]]);
  await expectConvscopeError(() => readImageTensor(path, { channels: 1, height: 1, width: 2, scale: 1e38 }), 'E_ARGUMENT', path, 'scale 1e+38', 'turn the pixel value 255 into Infinity');
  await expectConvscopeError(() => readImageTensor(path, { channels: 1, height: 1, width: 2, std: [1e-45] }), 'E_ARGUMENT', path, 'std 1e-45');
  await expectConvscopeError(() => readImageTensor(path, { channels: 1, height: 1, width: 2, mean: [-3.4e38], scale: 1e36 }), 'E_ARGUMENT', path, 'float32 range');
  // Large but finite is allowed: 255 * 1e36 fits in float32.
  assert.ok(Number.isFinite(readImageTensor(path, { channels: 1, height: 1, width: 2, scale: 1e36 }).data[1]));
});

test('scale, mean and std must be finite numbers', async () => {
  const path = greyPng('opts.png', [[1]]);
  const base = { channels: 1 as const, height: 1, width: 1 };
  await expectConvscopeError(() => readImageTensor(path, { ...base, scale: NaN }), 'E_ARGUMENT', 'scale must be a finite number, not the number NaN');
  await expectConvscopeError(() => readImageTensor(path, { ...base, scale: '2' as never }), 'E_ARGUMENT', "scale must be a finite number, not the string '2'");
  await expectConvscopeError(() => readImageTensor(path, { ...base, mean: [Infinity] }), 'E_ARGUMENT', 'mean must be an array of finite numbers');
  await expectConvscopeError(() => readImageTensor(path, { ...base, std: 2 as never }), 'E_ARGUMENT', 'std must be an array of finite numbers, not the number 2');
  await expectConvscopeError(() => readImageBytes(new Uint8Array(8), null as never), 'E_ARGUMENT', 'the image options must be an object, not null');
  await expectConvscopeError(() => readImageBytes(null as never, base), 'E_ARGUMENT', 'image: expected the bytes of a PNG or JPEG file', 'not null');
  await expectConvscopeError(() => readImageTensor(path, { ...base, height: 1e6, width: 1e6 }), 'E_TOO_LARGE', path, 'an input of 1x1000000x1000000');
});

test('errors name the file, not an internal function (no "readImageTensor:")', async () => {
  const path = file('bad.png', Buffer.from('not an image'));
  const e = await expectConvscopeError(() => readImageTensor(path, { channels: 1, height: 1, width: 1 }), 'E_FORMAT', path);
  assert.ok(e.message.startsWith(`${path}: `), e.message);
});

test.run();
