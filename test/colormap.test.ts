import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { colormap, NAN_COLOUR, normalizeAbs, normalizeMinMax, normalizeSymmetric } from '../src/io/colormap.ts';

// matplotlib: (np.array(cm.viridis(t)[:3]) * 255).round() for t = 0, 0.5, 1
test('viridis endpoints and midpoint match matplotlib', () => {
  const v = colormap('viridis');
  assert.equal(v(0), [68, 1, 84]);
  assert.equal(v(0.5), [33, 145, 140]);
  assert.equal(v(1), [253, 231, 37]);
});

test('viridis clamps outside [0, 1] and greys NaN', () => {
  const v = colormap('viridis');
  assert.equal(v(-3), v(0));
  assert.equal(v(7), v(1));
  assert.equal(v(NaN), NAN_COLOUR);
  assert.equal(v(Infinity), v(1));
});

test('viridis quartiles are matplotlib\'s #3b528b and #5ec962, bins of 1/256', () => {
  const v = colormap('viridis');
  assert.equal(v(0.25), [0x3b, 0x52, 0x8b]);
  assert.equal(v(0.75), [0x5e, 0xc9, 0x62]);
  assert.equal(v(1 / 256 - 1e-9), v(0));
  assert.not.equal(v(1 / 256), v(0));
});

test('grey is linear', () => {
  const g = colormap('grey');
  assert.equal(g(0), [0, 0, 0]);
  assert.equal(g(0.5), [128, 128, 128]);
  assert.equal(g(1), [255, 255, 255]);
  assert.equal(g(0.2), [51, 51, 51]);
});

test('diverging: blue, white, red', () => {
  const d = colormap('diverging');
  assert.equal(d(0), [0, 0, 255]);
  assert.equal(d(0.25), [128, 128, 255]);
  assert.equal(d(0.5), [255, 255, 255]);
  assert.equal(d(0.75), [255, 128, 128]);
  assert.equal(d(1), [255, 0, 0]);
  assert.equal(d(NaN), NAN_COLOUR);
});

test('unknown colormap name', () => {
  assert.throws(() => colormap('jet' as never), /unknown colormap 'jet'/);
});

test('normalizeMinMax maps min..max to 0..1', () => {
  assert.equal(Array.from(normalizeMinMax([2, 4, 3, 6])), [0, 0.5, 0.25, 1]);
  assert.equal(Array.from(normalizeMinMax([-1, 1])), [0, 1]);
});

test('normalizeMinMax: constant map is all 0, NaN stays NaN', () => {
  assert.equal(Array.from(normalizeMinMax([5, 5, 5])), [0, 0, 0]);
  const out = normalizeMinMax([1, NaN, 3]);
  assert.equal([out[0], out[2]], [0, 1]);
  assert.ok(Number.isNaN(out[1]));
  assert.equal(normalizeMinMax(new Float32Array(0)).length, 0);
});

test('normalizeSymmetric keeps zero at 0.5', () => {
  assert.equal(Array.from(normalizeSymmetric([-2, 0, 1, 2])), [0, 0.5, 0.75, 1]);
  assert.equal(Array.from(normalizeSymmetric([0, 4])), [0.5, 1]);
  assert.equal(Array.from(normalizeSymmetric([-4, -2])), [0, 0.25]);
  assert.equal(Array.from(normalizeSymmetric([0, -0, 0])), [0.5, 0.5, 0.5]);
});

test('normalizeAbs divides |x| by max|x|', () => {
  assert.equal(Array.from(normalizeAbs([-4, 2, 0, 1])), [1, 0.5, 0, 0.25]);
  assert.equal(Array.from(normalizeAbs([0, 0])), [0, 0]);
});

test.run();
