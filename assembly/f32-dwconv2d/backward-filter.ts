import { Conv, validRange } from '../f32-conv2d/geometry';
import { sum } from '../f32-conv2d/conv2d';
import { madd, even } from './dwconv2d';

// The depthwise filter gradient: each tap's gradient is one dot product of a dy plane with the
// rectangle of its input plane that tap read (validRange gives the output rows and columns whose
// tap lands inside, so padding costs nothing and no padded copy is made). SIMD builds take the
// columns eight (stride 1, two accumulators) or four (stride 2, the even-lane shuffle of the
// forward) at a time; the rest, and strides past 2, one by one.

/**
 * f32_dwconv2d_backward_filter: dw (cout, 1, kh, kw) = sum over images and output positions of
 * dy (n, cout, oh, ow) times the input x (n, cin, h, w), channel co / M, each tap read; db (cout) =
 * the sum of dy per channel. Overwrites both; images are added in order, so the bits do not
 * depend on how a caller splits anything.
 */
export function f32_dwconv2d_backward_filter(g: usize, x: usize, dy: usize, dw: usize, db: usize): void {
  const c = changetype<Conv>(g);
  const mult = c.cout / c.cin;
  const taps = c.kh * c.kw;
  const ohw = c.oh * c.ow;
  const inPlane = (<usize>c.h * <usize>c.w) << 2;
  const outPlane = <usize>ohw << 2;
  memory.fill(dw, 0, <usize>(c.cout * taps) << 2);
  memory.fill(db, 0, <usize>c.cout << 2);
  for (let i = 0; i < c.n; i++) {
    for (let co = 0; co < c.cout; co++) {
      const src = x + <usize>(i * c.cin + co / mult) * inPlane;
      const d = dy + <usize>(i * c.cout + co) * outPlane;
      const pb = db + (<usize>co << 2);
      store<f32>(pb, load<f32>(pb) + sum(d, ohw));
      for (let ky = 0; ky < c.kh; ky++) {
        const rows = validRange(c.oh, c.h, c.sh, ky * c.dh - c.pt);
        const rowLo = <i32>(rows >> 32);
        const rowHi = <i32>rows;
        for (let kx = 0; kx < c.kw; kx++) {
          const offset = kx * c.dw - c.pl;
          const cols = validRange(c.ow, c.w, c.sw, offset);
          const p = dw + (<usize>(co * taps + ky * c.kw + kx) << 2);
          const rowStart = ky * c.dh - c.pt;
          store<f32>(p, load<f32>(p) + tapDot(c, src, d, rowLo, rowHi, rowStart, <i32>(cols >> 32), <i32>cols, offset));
        }
      }
    }
  }
}

// sum over oy in [rowLo, rowHi), ox in [colLo, colHi) of d[oy, ox] * src[oy*sh + rowStart, ox*sw + offset].
function tapDot(c: Conv, src: usize, d: usize, rowLo: i32, rowHi: i32, rowStart: i32, colLo: i32, colHi: i32, offset: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    if (c.sw <= 2) return tapDotVector(c, src, d, rowLo, rowHi, rowStart, colLo, colHi, offset);
  }
  let s: f32 = 0;
  for (let oy = rowLo; oy < rowHi; oy++) {
    const dyRow = d + ((<usize>oy * <usize>c.ow) << 2);
    const xRow = src + ((<usize>(oy * c.sh + rowStart) * <usize>c.w) << 2);
    for (let ox = colLo; ox < colHi; ox++) s += load<f32>(dyRow + (<usize>ox << 2)) * load<f32>(xRow + (<usize>(ox * c.sw + offset) << 2));
  }
  return s;
}

// tapDot at strides 1 and 2 in SIMD builds: the lanes' sums and the leftover columns' sum added at the end.
function tapDotVector(c: Conv, src: usize, d: usize, rowLo: i32, rowHi: i32, rowStart: i32, colLo: i32, colHi: i32, offset: i32): f32 {
  let s: f32 = 0;
  let vacc0 = f32x4.splat(0);
  let vacc1 = f32x4.splat(0);
  for (let oy = rowLo; oy < rowHi; oy++) {
    const dyRow = d + ((<usize>oy * <usize>c.ow) << 2);
    const xRow = src + ((<usize>(oy * c.sh + rowStart) * <usize>c.w) << 2);
    let ox = colLo;
    if (c.sw == 1) {
      for (; ox + 8 <= colHi; ox += 8) {
        const q = xRow + (<usize>(ox + offset) << 2);
        const e = dyRow + (<usize>ox << 2);
        vacc0 = madd(v128.load(e), v128.load(q), vacc0);
        vacc1 = madd(v128.load(e, 16), v128.load(q, 16), vacc1);
      }
      for (; ox + 4 <= colHi; ox += 4) {
        vacc0 = madd(v128.load(dyRow + (<usize>ox << 2)), v128.load(xRow + (<usize>(ox + offset) << 2)), vacc0);
      }
    } else {
      for (; ox + 4 <= colHi; ox += 4) {
        vacc0 = madd(v128.load(dyRow + (<usize>ox << 2)), even(xRow + (<usize>(2 * ox + offset) << 2)), vacc0);
      }
    }
    for (; ox < colHi; ox++) s += load<f32>(dyRow + (<usize>ox << 2)) * load<f32>(xRow + (<usize>(ox * c.sw + offset) << 2));
  }
  const v = f32x4.add(vacc0, vacc1);
  return s + (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}
