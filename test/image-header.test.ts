import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { readImageHeader, checkImageSize } from '../src/io/image-header.ts';
import { readImageTensor } from '../src/node/inputs.ts';
import { expectConvscopeError } from './helpers/errors.ts';
import { jpegDeclaring, pngDeclaring } from './helpers/png.ts';

const dir = mkdtempSync(join(tmpdir(), 'convscope-image-header-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const opts = { channels: 1 as const, height: 28, width: 28 };

test('PNG: width, height, samples and depth from IHDR', () => {
  const h = readImageHeader(pngDeclaring(300, 200, deflateSync(Buffer.alloc(10)), 6), 'a.png');
  assert.equal([h.format, h.width, h.height, h.samples, h.depth], ['PNG', 300, 200, 4, 8]);
});

test('JPEG: width, height and components from SOF0, after an APP0 segment', () => {
  const h = readImageHeader(jpegDeclaring(640, 480, 3), 'a.jpg');
  assert.equal([h.format, h.width, h.height, h.samples], ['JPEG', 640, 480, 3]);
});

test('a 68-byte PNG declaring 65535x65535 is refused before decoding, naming the file and its size', async () => {
  const bytes = pngDeclaring(65535, 65535, deflateSync(Buffer.alloc(1)));
  assert.ok(bytes.length <= 70, `${bytes.length} bytes`);
  const path = file('bomb.png', bytes);
  const before = process.memoryUsage().arrayBuffers;
  await expectConvscopeError(() => readImageTensor(path, opts), 'E_TOO_LARGE', path, '65535x65535', 'memory limit');
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 2 ** 20, 'no large buffer was allocated');
});

test('a 20000x20000 RGB PNG is refused before decoding: the process memory does not jump', async () => {
  // 1.2 MB of pixel data: enough for deflate to hold 1.2 GB, so only the memory check stops it.
  const path = file('big.png', pngDeclaring(20000, 20000, new Uint8Array(1_200_000).fill(7), 2));
  const before = process.memoryUsage();
  await expectConvscopeError(() => readImageTensor(path, { channels: 3, height: 32, width: 32 }), 'E_TOO_LARGE', path, '20000x20000', /needs \d+\.\d GiB/);
  const after = process.memoryUsage();
  assert.ok(after.arrayBuffers - before.arrayBuffers < 64 * 2 ** 20, `arrayBuffers grew by ${after.arrayBuffers - before.arrayBuffers}`);
  assert.ok(after.rss - before.rss < 256 * 2 ** 20, `rss grew by ${after.rss - before.rss}`);
});

test('a JPEG whose SOF declares 65535x65535 is refused before decoding', async () => {
  const path = file('huge.jpg', jpegDeclaring(65535, 65535, 3));
  await expectConvscopeError(() => readImageTensor(path, { channels: 3, height: 8, width: 8 }), 'E_TOO_LARGE', path, '65535x65535 JPEG');
});

test('zero-size images are refused: a PNG of 0x5 and a JPEG of 7x0', async () => {
  const png = file('zero.png', pngDeclaring(0, 5, deflateSync(Buffer.alloc(1))));
  await expectConvscopeError(() => readImageTensor(png, opts), 'E_FORMAT', png, 'declares 0x5 pixels');
  const jpg = file('zero.jpg', jpegDeclaring(7, 0));
  await expectConvscopeError(() => readImageTensor(jpg, opts), 'E_FORMAT', jpg, 'declares 7x0 pixels');
});

test('a PNG whose pixel data is too small for its declared size is damaged (deflate holds at most ~1032:1)', () => {
  const header = readImageHeader(pngDeclaring(4000, 4000, new Uint8Array(100)), 'thin.png');
  try {
    checkImageSize(header, 'thin.png', 1);
    assert.unreachable('accepted');
  } catch (e) {
    assert.is((e as { code: string }).code, 'E_FORMAT');
    assert.match((e as Error).message, /thin\.png: corrupt or truncated PNG: its 100 bytes of pixel data cannot hold the 4000x4000 pixels/);
  }
});

test('a PNG without IHDR, and a JPEG without a frame header, are damaged', async () => {
  const noIhdr = file('noihdr.png', Buffer.concat([pngDeclaring(1, 1, deflateSync(Buffer.alloc(2))).subarray(0, 8), Buffer.alloc(30)]));
  await expectConvscopeError(() => readImageTensor(noIhdr, opts), 'E_FORMAT', noIhdr, 'no IHDR');
  const noSof = file('nosof.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9]));
  await expectConvscopeError(() => readImageTensor(noSof, opts), 'E_FORMAT', noSof, 'no frame header');
});

test('the decode estimate grows with the image: 1000x1000 RGBA fits, as does a real small image', () => {
  const header = readImageHeader(pngDeclaring(1000, 1000, new Uint8Array(10_000), 6), 'ok.png');
  const bytes = checkImageSize(header, 'ok.png', 3);
  assert.ok(bytes > 1000 * 1000 * 4 * 2 && bytes < 64 * 2 ** 20, `${bytes}`);
});

test.run();
