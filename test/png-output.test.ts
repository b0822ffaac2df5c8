import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { colormap, NAN_COLOUR, type RGB } from '../src/io/colormap.ts';
import { Canvas, encodePng, renderGrid, textWidth } from '../src/io/png-output.ts';
import { writeJpeg, writePng } from '../src/node/pictures.ts';

const dir = mkdtempSync(join(tmpdir(), 'convscope-png-output-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const WHITE: RGB = [255, 255, 255];
const BLACK: RGB = [0, 0, 0];
const viridis = colormap('viridis');

/** 0 at the top-left, rising to 1 at the bottom-right, times `k`. */
function ramp(h: number, w: number, k = 1): Float32Array {
  return Float32Array.from({ length: h * w }, (_, i) => (k * i) / (h * w - 1));
}

test('Canvas starts filled and opaque; setPixel ignores positions outside', () => {
  const c = new Canvas(3, 2, [1, 2, 3]);
  assert.equal(c.pixels.length, 3 * 2 * 4);
  assert.equal(Array.from(c.pixels.subarray(0, 4)), [1, 2, 3, 255]);
  c.setPixel(2, 1, [9, 8, 7]);
  c.setPixel(3, 0, WHITE);
  c.setPixel(-1, 0, WHITE);
  c.setPixel(0, 2, WHITE);
  assert.equal(c.getPixel(2, 1), [9, 8, 7]);
  assert.equal(Array.from(c.pixels).filter((v) => v === 255).length, 6);
  c.fill(BLACK);
  assert.equal(c.getPixel(2, 1), BLACK);
});

test('Canvas rejects a bad size', () => {
  assert.throws(() => new Canvas(0, 4), /Canvas: size must be positive integers, got 0x4/);
});

test('drawMap upscales by nearest neighbour', () => {
  const c = new Canvas(8, 8, WHITE);
  c.drawMap(new Float32Array([0, 1, 0.5, NaN]), 2, 2, 1, 1, 'grey', 3);
  assert.equal(c.getPixel(0, 0), WHITE);
  assert.equal(c.getPixel(1, 1), [0, 0, 0]);
  assert.equal(c.getPixel(3, 3), [0, 0, 0]);
  assert.equal(c.getPixel(4, 1), WHITE);
  assert.equal(c.getPixel(6, 3), [255, 255, 255]);
  assert.equal(c.getPixel(2, 5), [128, 128, 128]);
  assert.equal(c.getPixel(6, 6), NAN_COLOUR);
  assert.equal(c.getPixel(7, 7), WHITE);
  assert.throws(() => c.drawMap(new Float32Array(3), 2, 2, 0, 0, 'grey'), /needs 4 values but got 3/);
});

test('drawText draws the glyph bitmap at scale 1 and 2', () => {
  const c = new Canvas(12, 8, BLACK);
  c.drawText('I', 0, 0, WHITE);
  // 'I' is .###. on the top and bottom rows and ..#.. between.
  const row = (y: number): string => Array.from({ length: 5 }, (_, x) => (c.getPixel(x, y)[0] ? '#' : '.')).join('');
  assert.equal([0, 1, 6, 7].map(row), ['.###.', '..#..', '.###.', '.....']);
  const big = new Canvas(12, 16, BLACK);
  big.drawText('I', 0, 0, WHITE, 2);
  assert.equal(big.getPixel(2, 0), WHITE);
  assert.equal(big.getPixel(3, 1), WHITE);
  assert.equal(big.getPixel(1, 0), BLACK);
  assert.equal(big.getPixel(4, 2), WHITE);
  assert.equal(big.getPixel(3, 2), BLACK);
});

test('drawText covers digits, letters and - . : _ ( ) /, and draws unknown characters as ?', () => {
  const all = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.:_()/';
  const ink = (text: string): string => {
    const c = new Canvas(6, 8, BLACK);
    c.drawText(text, 0, 0, WHITE);
    return Array.from(c.pixels).join(',');
  };
  const blank = ink(' ');
  const question = ink('?');
  const seen = new Set<string>();
  for (const ch of all) {
    const drawn = ink(ch);
    assert.is.not(drawn, blank, `'${ch}' draws nothing`);
    assert.is.not(drawn, question, `'${ch}' falls back to '?'`);
    seen.add(drawn);
  }
  assert.is(seen.size, all.length);
  assert.is(ink('~'), question);
});

test('textWidth: 6 pixels a character less the trailing space', () => {
  assert.is(textWidth(''), 0);
  assert.is(textWidth('12'), 11);
  assert.is(textWidth('12', 2), 22);
});

test('renderGrid: 16 maps of 24x24 make 4 columns of 72-pixel tiles with 1-pixel gaps', () => {
  const maps = Array.from({ length: 16 }, (_, i) => ramp(24, 24, i + 1));
  const c = renderGrid(maps, 24, 24);
  assert.is(c.width, 4 * 72 + 3);
  assert.is(c.height, 4 * 72 + 3);
});

test('renderGrid: each tile normalised on its own, min -> viridis(0), max -> viridis(1)', () => {
  const maps = [ramp(24, 24, 1), ramp(24, 24, -50), ramp(24, 24, 1e-3), ramp(24, 24, 7)];
  const c = renderGrid(maps, 24, 24);
  for (let i = 0; i < 4; i++) {
    const x = (i % 2) * 73;
    const y = Math.floor(i / 2) * 73;
    const [lo, hi] = maps[i][1] > 0 ? [viridis(0), viridis(1)] : [viridis(1), viridis(0)];
    assert.equal(c.getPixel(x, y), lo, `tile ${i} top-left`);
    assert.equal(c.getPixel(x + 2, y + 2), lo, `tile ${i} top-left block`);
    assert.equal(c.getPixel(x + 71, y + 71), hi, `tile ${i} bottom-right`);
  }
});

test('renderGrid: gaps show the background', () => {
  const maps = Array.from({ length: 4 }, () => ramp(8, 8));
  const c = renderGrid(maps, 8, 8, { background: [255, 0, 255], targetTile: 8 });
  assert.is(c.width, 17);
  for (let t = 0; t < 17; t++) {
    assert.equal(c.getPixel(8, t), [255, 0, 255]);
    assert.equal(c.getPixel(t, 8), [255, 0, 255]);
  }
  assert.is.not(c.getPixel(7, 7)[1], 0);
});

test('renderGrid: columns, and an incomplete last row left as background', () => {
  const c = renderGrid([ramp(4, 6), ramp(4, 6), ramp(4, 6)], 4, 6, { columns: 2, targetTile: 1, gap: 2 });
  assert.is(c.width, 2 * 6 + 2);
  assert.is(c.height, 2 * 4 + 2);
  assert.equal(c.getPixel(13, 9), WHITE);
});

test('renderGrid: upscale makes the longer side reach targetTile', () => {
  assert.is(renderGrid([ramp(10, 20)], 10, 20, { targetTile: 56 }).width, 60);
  assert.is(renderGrid([ramp(10, 20)], 10, 20, { targetTile: 56 }).height, 30);
  assert.is(renderGrid([ramp(100, 100)], 100, 100).width, 100);
});

test('renderGrid: normalize modes', () => {
  const signed = Float32Array.from([-2, 0, 1, 2]);
  const diverging = colormap('diverging');
  const sym = renderGrid([signed], 2, 2, { normalize: 'symmetric', cmap: 'diverging', targetTile: 2 });
  assert.equal([sym.getPixel(0, 0), sym.getPixel(1, 0), sym.getPixel(1, 1)], [diverging(0), diverging(0.5), diverging(1)]);
  const abs = renderGrid([signed], 2, 2, { normalize: 'abs', cmap: 'grey', targetTile: 2 });
  assert.equal([abs.getPixel(0, 0), abs.getPixel(1, 0), abs.getPixel(0, 1)], [WHITE, BLACK, [128, 128, 128]]);
  const none = renderGrid([Float32Array.from([0.2, 0.2, 0.2, 0.2])], 2, 2, { normalize: 'none', cmap: 'grey', targetTile: 2 });
  assert.equal(none.getPixel(1, 1), [51, 51, 51]);
});

test('renderGrid: labels get a dark strip above each tile with white text', () => {
  const maps = Array.from({ length: 16 }, () => ramp(24, 24));
  const labels = maps.map((_, i) => String(i));
  const c = renderGrid(maps, 24, 24, { labels });
  // Font scale 2: a strip of (8 + 3) * 2 = 22 pixels above each 72-pixel tile.
  assert.is(c.width, 4 * 72 + 3);
  assert.is(c.height, 4 * (22 + 72) + 3);
  assert.equal(c.getPixel(70, 20), [48, 48, 48]);
  assert.equal(c.getPixel(0, 22), viridis(0));
  // The '1' of label 1 (second tile): its stem is column 2 of the glyph, 2 font pixels in.
  assert.equal(c.getPixel(73 + 4 + 2 * 2, 4 + 2 * 3), WHITE);
});

test('renderGrid: long labels shrink to font scale 1 and are cut at the tile edge', () => {
  const c = renderGrid([ramp(24, 24), ramp(24, 24)], 24, 24, { labels: ['block1_conv1 channel 7', '1'] });
  assert.is(c.height, 11 + 72);
  for (let y = 0; y < 11; y++) assert.equal(c.getPixel(72, y), WHITE, `gap at row ${y}`);
});

test('renderGrid: errors', () => {
  assert.throws(() => renderGrid([], 2, 2), /renderGrid: no maps/);
  assert.throws(() => renderGrid([new Float32Array(3)], 2, 2), /map 0 has 3 values but a 2x2 map needs 4/);
  assert.throws(() => renderGrid([new Float32Array(4)], 2, 2, { labels: ['a', 'b'] }), /2 labels for 1 maps/);
  assert.throws(() => renderGrid([new Float32Array(4)], 2, 2, { columns: 0 }), /columns must be a positive integer, got 0/);
});

test('writePng writes a PNG that pngjs reads back with the same size and pixels, atomically', () => {
  const c = renderGrid(Array.from({ length: 5 }, (_, i) => ramp(6, 9, i - 2)), 6, 9, { labels: ['0', '1', '2', '3', '4'] });
  const path = join(dir, 'grid.png');
  writePng(path, c);
  const back = PNG.sync.read(readFileSync(path));
  assert.is(back.width, c.width);
  assert.is(back.height, c.height);
  assert.equal(new Uint8Array(back.data), c.pixels);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  assert.equal(new Uint8Array(PNG.sync.read(Buffer.from(encodePng(c))).data), c.pixels);
});

test('writeJpeg writes a JPEG of the same size and roughly the same colours', () => {
  const c = new Canvas(16, 8, [200, 30, 60]);
  const path = join(dir, 'flat.jpg');
  writeJpeg(path, c, 95);
  const back = jpeg.decode(readFileSync(path), { useTArray: true });
  assert.is(back.width, 16);
  assert.is(back.height, 8);
  for (const [k, v] of [200, 30, 60].entries()) assert.ok(Math.abs(back.data[k] - v) <= 3, `channel ${k}: ${back.data[k]}`);
});

test.run();
