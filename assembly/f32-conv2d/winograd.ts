import { Conv } from './geometry';
import { gemm, kBlockDepth } from '../f32-gemm/gemm';

// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of outputs (a tile) is
// A^T [ (G g G^T) ⊙ (B^T d B) ] A of its 4x4 input patch d, so 16 multiplies per tile and channel
// pair instead of 36. Summed over input channels, the ⊙ becomes 16 GEMMs
//   M_k (cout, tiles) = U_k (cout, cin) * V_k (cin, tiles),   k = 0..15,
// run by the blocked GEMM (gemm.ts). The tiles are taken a few tile rows at a time (a chunk), so
// that V and M of a chunk stay in cache between the transforms and the GEMMs.
//
// Every tile is computed the same way wherever it lies: the SIMD paths (four tiles side by side)
// and the scalar remainder run the same operations in the same order, and the GEMM sums each
// column in an order set by cin alone. So chunks, thread splits and crops that keep the tiles'
// alignment (outputs 2t, 2t+1) give the same bits. An output row (column) of a tile also never
// depends on the patch row (column) it does not reach: A^T B^T removes it exactly, so an output
// keeps its bits when only inputs outside its window change (incremental occlusion relies on it;
// F(4x4, 3x3), 1.2-1.3x faster, does not have this).
//
// Scratch, in floats: U (16, cout rounded up to 4, cin), each U_k packed once as the GEMM's A, so
// that no chunk packs it again; the zero-padded image (cin, hp, wp); then one chunk's V and M
// (threads share them: f32_winograd_input and the two after it).

/** About 4 MiB for V and M of one chunk: bigger chunks measured faster, up to here, than ones that stay in L2. */
const CHUNK_FLOATS: i32 = 1 << 20;

/**
 * Whether f32_conv2d takes the Winograd path: 3x3, stride 1, dilation 1, at least 8 channels in
 * and out, and U (16 cin cout floats) at most 64 MiB. Never the map's size, so that a crop of a
 * map takes the same path as the map (incremental occlusion relies on it).
 */
export function winogradApplies(c: Conv): bool {
  return c.kh == 3 && c.kw == 3 && c.sh == 1 && c.sw == 1 && c.dh == 1 && c.dw == 1
    && c.cin >= 8 && c.cout >= 8 && <i64>c.cin * <i64>c.cout <= 1 << 20;
}

// @ts-ignore: decorator
@inline
function tileRows(c: Conv): i32 {
  return (c.oh + 1) >> 1;
}

// @ts-ignore: decorator
@inline
function tileCols(c: Conv): i32 {
  return (c.ow + 1) >> 1;
}

// @ts-ignore: decorator
@inline
function paddedRows(c: Conv): i32 {
  return 2 * tileRows(c) + 2;
}

// @ts-ignore: decorator
@inline
function paddedCols(c: Conv): i32 {
  return 2 * tileCols(c) + 2;
}

/** Tile rows per chunk. */
export function chunkRows(c: Conv): i32 {
  return max(1, CHUNK_FLOATS / (16 * (c.cin + c.cout) * tileCols(c)));
}

// @ts-ignore: decorator
@inline
function roundUp4(floats: i32): i32 {
  return (floats + 3) & ~3;
}

function imageFloats(c: Conv): i32 {
  return roundUp4(c.cin * paddedRows(c) * paddedCols(c));
}

// The 16 planes of U, V and M lie SKEW floats more than their size apart: planes a power of two
// apart (U of 512x512 filters: 1 MiB) would all fall in the same cache sets, and the transforms
// write all 16 at once.
const SKEW: i32 = 16;

// @ts-ignore: decorator
@inline
function uPlane(c: Conv): i32 {
  return packedRows(c) * c.cin + SKEW;
}

// @ts-ignore: decorator
@inline
function vPlane(c: Conv, tiles: i32): i32 {
  return c.cin * tiles + SKEW;
}

// @ts-ignore: decorator
@inline
function mPlane(c: Conv, tiles: i32): i32 {
  return c.cout * tiles + SKEW;
}

function workFloats(c: Conv): i32 {
  const tiles = chunkRows(c) * tileCols(c);
  return 16 * (vPlane(c, tiles) + mPlane(c, tiles));
}

/** Scratch floats of the Winograd path. */
export function winogradScratch(c: Conv): i32 {
  return 16 * uPlane(c) + imageFloats(c) + workFloats(c);
}

/** Floats before the adjoint's Winograd scratch: its geometry (f32_winograd_adjoint). */
export const ADJOINT_GEOMETRY_FLOATS: i32 = 16;

// @ts-ignore: decorator
@inline
function imageAt(c: Conv, scratch: usize): usize {
  return scratch + (<usize>(16 * uPlane(c)) << 2);
}

// @ts-ignore: decorator
@inline
function workAt(c: Conv, scratch: usize): usize {
  return imageAt(c, scratch) + (<usize>imageFloats(c) << 2);
}

/**
 * U into scratch, each U_k packed as the GEMM's A (gemm's aPacked), from the 3x3 filters: filter
 * (o, i) of the conv is the 9 floats at w + o*oStride + i*iStride (bytes), read rotated by 180
 * degrees when flip. A forward conv passes (cin*36, 36, false); its adjoint, run as a forward
 * conv, (36, cout*36, true). Output channels o0..o1 only, o0 a multiple of 4.
 */
export function winogradWeights(c: Conv, w: usize, oStride: usize, iStride: usize, flip: bool, scratch: usize, o0: i32, o1: i32): void {
  const rows = packedRows(c);
  const kStride = <usize>uPlane(c) << 2;
  const kc = kBlockDepth(c.cin);
  for (let pc = 0; pc < c.cin; pc += kc) {
    const depth = min(kc, c.cin - pc);
    for (let o = o0; o < o1; o += 4) {
      const lanes = min(4, c.cout - o);
      let u = scratch + ((<usize>pc * <usize>rows + <usize>o * <usize>depth) << 2);
      let f = w + <usize>o * oStride + <usize>pc * iStride;
      for (let i = 0; i < depth; i++) {
        transformFilters4(f, oStride, lanes, flip, u, kStride);
        f += iStride;
        u += 16;
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function packedRows(c: Conv): i32 {
  return (c.cout + 3) & ~3;
}

// @ts-ignore: decorator
@inline
function tap(t: i32, flip: bool): usize {
  return <usize>(flip ? 8 - t : t) << 2;
}

// G g G^T for the filters of `lanes` (1..4) consecutive rows of A, oStride bytes apart (missing
// lanes 0), stored as 4 consecutive floats in each of the 16 U_k; G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
function transformFilters4(f: usize, oStride: usize, lanes: i32, flip: bool, u: usize, kStride: usize): void {
  if (!ASC_FEATURE_SIMD) {
    for (let l = 0; l < 4; l++) transformFilter1(l < lanes ? f + <usize>l * oStride : 0, flip, u + (<usize>l << 2), kStride);
    return;
  }
  const half = f32x4.splat(0.5);
  const g0 = gather4(f + tap(0, flip), oStride, lanes), g1 = gather4(f + tap(1, flip), oStride, lanes), g2 = gather4(f + tap(2, flip), oStride, lanes);
  const g3 = gather4(f + tap(3, flip), oStride, lanes), g4 = gather4(f + tap(4, flip), oStride, lanes), g5 = gather4(f + tap(5, flip), oStride, lanes);
  const g6 = gather4(f + tap(6, flip), oStride, lanes), g7 = gather4(f + tap(7, flip), oStride, lanes), g8 = gather4(f + tap(8, flip), oStride, lanes);
  // rows of G g, then each times G^T
  storeFilterRow4(u, kStride, half, g0, g1, g2);
  storeFilterRow4(u + 4 * kStride, kStride, half,
    f32x4.mul(f32x4.add(f32x4.add(g0, g3), g6), half), f32x4.mul(f32x4.add(f32x4.add(g1, g4), g7), half), f32x4.mul(f32x4.add(f32x4.add(g2, g5), g8), half));
  storeFilterRow4(u + 8 * kStride, kStride, half,
    f32x4.mul(f32x4.add(f32x4.sub(g0, g3), g6), half), f32x4.mul(f32x4.add(f32x4.sub(g1, g4), g7), half), f32x4.mul(f32x4.add(f32x4.sub(g2, g5), g8), half));
  storeFilterRow4(u + 12 * kStride, kStride, half, g6, g7, g8);
}

// @ts-ignore: decorator
@inline
function storeFilterRow4(u: usize, kStride: usize, half: v128, p0: v128, p1: v128, p2: v128): void {
  v128.store(u, p0);
  v128.store(u + kStride, f32x4.mul(f32x4.add(f32x4.add(p0, p1), p2), half));
  v128.store(u + 2 * kStride, f32x4.mul(f32x4.add(f32x4.sub(p0, p1), p2), half));
  v128.store(u + 3 * kStride, p2);
}

// @ts-ignore: decorator
@inline
function gather4(p: usize, stride: usize, lanes: i32): v128 {
  if (lanes == 4) {
    let v = f32x4.splat(load<f32>(p));
    v = f32x4.replace_lane(v, 1, load<f32>(p + stride));
    v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * stride));
    return f32x4.replace_lane(v, 3, load<f32>(p + 3 * stride));
  }
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + stride));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * stride));
  return v;
}

// One filter at f (0: a missing lane, all zero), for the scalar build.
function transformFilter1(f: usize, flip: bool, u: usize, kStride: usize): void {
  const g0: f32 = f ? load<f32>(f + tap(0, flip)) : 0, g1: f32 = f ? load<f32>(f + tap(1, flip)) : 0, g2: f32 = f ? load<f32>(f + tap(2, flip)) : 0;
  const g3: f32 = f ? load<f32>(f + tap(3, flip)) : 0, g4: f32 = f ? load<f32>(f + tap(4, flip)) : 0, g5: f32 = f ? load<f32>(f + tap(5, flip)) : 0;
  const g6: f32 = f ? load<f32>(f + tap(6, flip)) : 0, g7: f32 = f ? load<f32>(f + tap(7, flip)) : 0, g8: f32 = f ? load<f32>(f + tap(8, flip)) : 0;
  storeFilterRow1(u, kStride, g0, g1, g2);
  storeFilterRow1(u + 4 * kStride, kStride, (g0 + g3 + g6) * 0.5, (g1 + g4 + g7) * 0.5, (g2 + g5 + g8) * 0.5);
  storeFilterRow1(u + 8 * kStride, kStride, (g0 - g3 + g6) * 0.5, (g1 - g4 + g7) * 0.5, (g2 - g5 + g8) * 0.5);
  storeFilterRow1(u + 12 * kStride, kStride, g6, g7, g8);
}

// @ts-ignore: decorator
@inline
function storeFilterRow1(u: usize, kStride: usize, p0: f32, p1: f32, p2: f32): void {
  store<f32>(u, p0);
  store<f32>(u + kStride, (p0 + p1 + p2) * 0.5);
  store<f32>(u + 2 * kStride, (p0 - p1 + p2) * 0.5);
  store<f32>(u + 3 * kStride, p2);
}

/** Image i of x (n, cin, h, w), zero-padded by pt/pl and to whole tiles, into scratch. */
export function winogradImage(c: Conv, x: usize, i: i32, scratch: usize): void {
  const hp = paddedRows(c);
  const wp = paddedCols(c);
  const plane = <usize>c.h * <usize>c.w;
  let src = x + ((<usize>i * <usize>c.cin * plane) << 2);
  let dst = imageAt(c, scratch);
  const colLo = max(c.pl, 0);
  const colHi = min(wp, c.w + c.pl);
  const rowBytes = <usize>wp << 2;
  for (let ch = 0; ch < c.cin; ch++) {
    for (let r = 0; r < hp; r++) {
      const sr = r - c.pt;
      if (sr < 0 || sr >= c.h || colLo >= colHi) {
        memory.fill(dst, 0, rowBytes);
      } else {
        if (colLo > 0) memory.fill(dst, 0, <usize>colLo << 2);
        memory.copy(dst + (<usize>colLo << 2), src + (<usize>(sr * c.w + colLo - c.pl) << 2), <usize>(colHi - colLo) << 2);
        if (colHi < wp) memory.fill(dst + (<usize>colHi << 2), 0, <usize>(wp - colHi) << 2);
      }
      dst += rowBytes;
    }
    src += plane << 2;
  }
}

/**
 * Tile rows r0..r1 of image i into y (n, cout, oh, ow), plus bias (cout) unless 0, from U and the
 * padded image in scratch (winogradWeights, winogradImage), in chunks.
 */
export function winogradRows(c: Conv, bias: usize, y: usize, i: i32, scratch: usize, r0: i32, r1: i32): void {
  const step = chunkRows(c);
  const work = workAt(c, scratch);
  for (let r = r0; r < r1; r += step) {
    const rows = min(step, r1 - r);
    inputTransform(c, imageAt(c, scratch), r, rows, work, 0, c.cin);
    products(c, scratch, work, rows, 0, 16);
    outputTransform(c, work, bias, y, i, r, rows, 0, c.cout);
  }
}

// M_k = U_k V_k for k0 <= k < k1, for a chunk of `rows` tile rows in work: M follows V.
function products(c: Conv, scratch: usize, work: usize, rows: i32, k0: i32, k1: i32): void {
  const tiles = rows * tileCols(c);
  const m = work + (<usize>(16 * vPlane(c, tiles)) << 2);
  for (let k = k0; k < k1; k++) {
    gemm(
      c.cout, tiles, c.cin,
      scratch + (<usize>(k * uPlane(c)) << 2), 0, false,
      work + (<usize>(k * vPlane(c, tiles)) << 2), tiles, 0, 0,
      m + (<usize>(k * mPlane(c, tiles)) << 2), tiles, 0, 0,
      0, 0, 0, true,
    );
  }
}

// V (16, cin, tiles) of tile rows r0..r0+rows: B^T d B with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
// rows of d first, then columns.
// Channels ci0..ci1 only (threads share a chunk's channels).
function inputTransform(c: Conv, image: usize, r0: i32, rows: i32, v: usize, ci0: i32, ci1: i32): void {
  const tiles = rows * tileCols(c);
  const wp = paddedCols(c);
  const tc = tileCols(c);
  const rowBytes = <usize>wp << 2;
  const kStride = <usize>vPlane(c, tiles) << 2;
  for (let ci = ci0; ci < ci1; ci++) {
    const plane = image + <usize>ci * <usize>paddedRows(c) * rowBytes;
    for (let r = 0; r < rows; r++) {
      const d0 = plane + <usize>(2 * (r0 + r)) * rowBytes;
      const out = v + ((<usize>ci * <usize>tiles + <usize>(r * tc)) << 2);
      let t = 0;
      if (ASC_FEATURE_SIMD) {
        for (; t + 4 <= tc; t += 4) {
          const p = d0 + (<usize>(2 * t) << 2);
          // four tiles side by side: column j of each tile's patch in one vector
          const a0 = v128.load(p), b0 = v128.load(p, 16), c0 = v128.load(p, 8), e0 = v128.load(p, 24);
          const a1 = v128.load(p + rowBytes), b1 = v128.load(p + rowBytes, 16), c1 = v128.load(p + rowBytes, 8), e1 = v128.load(p + rowBytes, 24);
          const a2 = v128.load(p + 2 * rowBytes), b2 = v128.load(p + 2 * rowBytes, 16), c2 = v128.load(p + 2 * rowBytes, 8), e2 = v128.load(p + 2 * rowBytes, 24);
          const a3 = v128.load(p + 3 * rowBytes), b3 = v128.load(p + 3 * rowBytes, 16), c3 = v128.load(p + 3 * rowBytes, 8), e3 = v128.load(p + 3 * rowBytes, 24);
          const t00 = f32x4.sub(even(a0, b0), even(a2, b2)), t01 = f32x4.sub(odd(a0, b0), odd(a2, b2));
          const t02 = f32x4.sub(even(c0, e0), even(c2, e2)), t03 = f32x4.sub(odd(c0, e0), odd(c2, e2));
          const t10 = f32x4.add(even(a1, b1), even(a2, b2)), t11 = f32x4.add(odd(a1, b1), odd(a2, b2));
          const t12 = f32x4.add(even(c1, e1), even(c2, e2)), t13 = f32x4.add(odd(c1, e1), odd(c2, e2));
          const t20 = f32x4.sub(even(a2, b2), even(a1, b1)), t21 = f32x4.sub(odd(a2, b2), odd(a1, b1));
          const t22 = f32x4.sub(even(c2, e2), even(c1, e1)), t23 = f32x4.sub(odd(c2, e2), odd(c1, e1));
          const t30 = f32x4.sub(even(a1, b1), even(a3, b3)), t31 = f32x4.sub(odd(a1, b1), odd(a3, b3));
          const t32 = f32x4.sub(even(c1, e1), even(c3, e3)), t33 = f32x4.sub(odd(c1, e1), odd(c3, e3));
          const q = out + (<usize>t << 2);
          storeRow4(q, kStride, t00, t01, t02, t03);
          storeRow4(q + 4 * kStride, kStride, t10, t11, t12, t13);
          storeRow4(q + 8 * kStride, kStride, t20, t21, t22, t23);
          storeRow4(q + 12 * kStride, kStride, t30, t31, t32, t33);
        }
      }
      for (; t < tc; t++) {
        const p = d0 + (<usize>(2 * t) << 2);
        const q = out + (<usize>t << 2);
        for (let j = 0; j < 4; j++) {
          const e = p + (<usize>j << 2);
          const x0 = load<f32>(e), x1 = load<f32>(e + rowBytes), x2 = load<f32>(e + 2 * rowBytes), x3 = load<f32>(e + 3 * rowBytes);
          // column j of the row-transformed patch
          store<f32>(q + <usize>j * kStride, x0 - x2);
          store<f32>(q + <usize>(4 + j) * kStride, x1 + x2);
          store<f32>(q + <usize>(8 + j) * kStride, x2 - x1);
          store<f32>(q + <usize>(12 + j) * kStride, x1 - x3);
        }
        for (let a = 0; a < 4; a++) {
          const s = q + <usize>(4 * a) * kStride;
          const s0 = load<f32>(s), s1 = load<f32>(s + kStride), s2 = load<f32>(s + 2 * kStride), s3 = load<f32>(s + 3 * kStride);
          store<f32>(s, s0 - s2);
          store<f32>(s + kStride, s1 + s2);
          store<f32>(s + 2 * kStride, s2 - s1);
          store<f32>(s + 3 * kStride, s1 - s3);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function even(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 2, 4, 6);
}

// @ts-ignore: decorator
@inline
function odd(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 1, 3, 5, 7);
}

// One row of the column transform: s0..s3 are the row-transformed patch's columns.
// @ts-ignore: decorator
@inline
function storeRow4(q: usize, kStride: usize, s0: v128, s1: v128, s2: v128, s3: v128): void {
  v128.store(q, f32x4.sub(s0, s2));
  v128.store(q + kStride, f32x4.add(s1, s2));
  v128.store(q + 2 * kStride, f32x4.sub(s2, s1));
  v128.store(q + 3 * kStride, f32x4.sub(s1, s3));
}

// y tiles of tile rows r0..r0+rows from M (16, cout, tiles): A^T m A + bias with
// A^T = [1 1 1 0; 0 1 -1 -1], rows first, then columns; outputs past oh/ow are dropped.
// Output channels co0..co1 only.
function outputTransform(c: Conv, work: usize, bias: usize, y: usize, i: i32, r0: i32, rows: i32, co0: i32, co1: i32): void {
  const tiles = rows * tileCols(c);
  const m = work + (<usize>(16 * vPlane(c, tiles)) << 2);
  const tc = tileCols(c);
  const kStride = <usize>mPlane(c, tiles) << 2;
  const rowBytes = <usize>c.ow << 2;
  const planeBytes = <usize>c.oh * rowBytes;
  for (let co = co0; co < co1; co++) {
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>co << 2)) : 0;
    const plane = y + (<usize>i * <usize>c.cout + <usize>co) * planeBytes;
    for (let r = 0; r < rows; r++) {
      const oy = 2 * (r0 + r);
      const twoRows = oy + 1 < c.oh;
      const row0 = plane + <usize>oy * rowBytes;
      const src = m + ((<usize>co * <usize>tiles + <usize>(r * tc)) << 2);
      let t = 0;
      if (ASC_FEATURE_SIMD) {
        const vb = f32x4.splat(b);
        for (; t + 4 <= tc && 2 * t + 8 <= c.ow; t += 4) {
          const q = src + (<usize>t << 2);
          const s0 = rowSum4(q, kStride), s1 = rowSum4(q + kStride, kStride);
          const s2 = rowSum4(q + 2 * kStride, kStride), s3 = rowSum4(q + 3 * kStride, kStride);
          const d0 = rowDiff4(q, kStride), d1 = rowDiff4(q + kStride, kStride);
          const d2 = rowDiff4(q + 2 * kStride, kStride), d3 = rowDiff4(q + 3 * kStride, kStride);
          const p = row0 + (<usize>(2 * t) << 2);
          storeOutputs4(p, f32x4.add(f32x4.add(f32x4.add(s0, s1), s2), vb), f32x4.add(f32x4.sub(f32x4.sub(s1, s2), s3), vb));
          if (twoRows) storeOutputs4(p + rowBytes, f32x4.add(f32x4.add(f32x4.add(d0, d1), d2), vb), f32x4.add(f32x4.sub(f32x4.sub(d1, d2), d3), vb));
        }
      }
      for (; t < tc; t++) {
        const q = src + (<usize>t << 2);
        const ox = 2 * t;
        const twoCols = ox + 1 < c.ow;
        const p = row0 + (<usize>ox << 2);
        for (let a = 0; a < 2; a++) {
          if (a == 1 && !twoRows) break;
          let v0: f32, v1: f32, v2: f32, v3: f32;
          if (a == 0) {
            v0 = rowSum1(q, kStride); v1 = rowSum1(q + kStride, kStride); v2 = rowSum1(q + 2 * kStride, kStride); v3 = rowSum1(q + 3 * kStride, kStride);
          } else {
            v0 = rowDiff1(q, kStride); v1 = rowDiff1(q + kStride, kStride); v2 = rowDiff1(q + 2 * kStride, kStride); v3 = rowDiff1(q + 3 * kStride, kStride);
          }
          const out = p + <usize>a * rowBytes;
          store<f32>(out, v0 + v1 + v2 + b);
          if (twoCols) store<f32>(out, v1 - v2 - v3 + b, 4);
        }
      }
    }
  }
}

// Column j of A^T m: rows 0, 1, 2 of the 4x4 product summed (first output row) or rows 1 - 2 - 3
// (second). q points at m[k = j], the rows being 4 k apart.
// @ts-ignore: decorator
@inline
function rowSum4(q: usize, kStride: usize): v128 {
  return f32x4.add(f32x4.add(v128.load(q), v128.load(q + 4 * kStride)), v128.load(q + 8 * kStride));
}

// @ts-ignore: decorator
@inline
function rowDiff4(q: usize, kStride: usize): v128 {
  return f32x4.sub(f32x4.sub(v128.load(q + 4 * kStride), v128.load(q + 8 * kStride)), v128.load(q + 12 * kStride));
}

// @ts-ignore: decorator
@inline
function rowSum1(q: usize, kStride: usize): f32 {
  return load<f32>(q) + load<f32>(q + 4 * kStride) + load<f32>(q + 8 * kStride);
}

// @ts-ignore: decorator
@inline
function rowDiff1(q: usize, kStride: usize): f32 {
  return load<f32>(q + 4 * kStride) - load<f32>(q + 8 * kStride) - load<f32>(q + 12 * kStride);
}

// Two output vectors of four tiles (their left and right columns) interleaved into 8 outputs.
// @ts-ignore: decorator
@inline
function storeOutputs4(p: usize, left: v128, right: v128): void {
  v128.store(p, v128.shuffle<f32>(left, right, 0, 4, 1, 5));
  v128.store(p, v128.shuffle<f32>(left, right, 2, 6, 3, 7), 16);
}

// ---- exports for callers that split the work between threads (src/runtime/wasm-threads.ts) ----

/** 1 when f32_conv2d on geometry g takes the Winograd path. */
export function f32_winograd_applies(g: usize): i32 {
  return winogradApplies(changetype<Conv>(g)) ? 1 : 0;
}

/** Tile rows of one image, and the rows per chunk. */
export function f32_winograd_tile_rows(g: usize): i32 {
  return tileRows(changetype<Conv>(g));
}

/** The number of GEMMs per chunk (f32_winograd_products' range). */
export function f32_winograd_planes(): i32 {
  return 16;
}

export function f32_winograd_chunk_rows(g: usize): i32 {
  return chunkRows(changetype<Conv>(g));
}

/**
 * U of the forward conv g (adjoint != 0: of the adjoint, g being its geometry from
 * f32_winograd_adjoint), for output channels o0..o1 (o0 a multiple of 4; threads split them).
 */
export function f32_winograd_weights(g: usize, w: usize, scratch: usize, adjoint: i32, o0: i32, o1: i32): void {
  const c = changetype<Conv>(g);
  if (adjoint != 0) winogradWeights(c, w, 36, <usize>c.cout * 36, true, scratch, o0, o1);
  else winogradWeights(c, w, <usize>c.cin * 36, 36, false, scratch, o0, o1);
}

export function f32_winograd_image(g: usize, x: usize, i: i32, scratch: usize): void {
  winogradImage(changetype<Conv>(g), x, i, scratch);
}

export function f32_winograd_rows(g: usize, bias: usize, y: usize, i: i32, scratch: usize, r0: i32, r1: i32): void {
  winogradRows(changetype<Conv>(g), bias, y, i, scratch, r0, r1);
}

/**
 * The three steps of f32_winograd_rows for one chunk of `rows` tile rows from r0 (at most
 * f32_winograd_chunk_rows), each over a range of what it produces, so that two threads can share
 * one chunk: V for input channels j0..j1, M_k for k = j0..j1 (of
 * f32_winograd_planes), the outputs of channels j0..j1.
 */
export function f32_winograd_input(g: usize, scratch: usize, r0: i32, rows: i32, j0: i32, j1: i32): void {
  const c = changetype<Conv>(g);
  inputTransform(c, imageAt(c, scratch), r0, rows, workAt(c, scratch), j0, j1);
}

export function f32_winograd_products(g: usize, scratch: usize, rows: i32, j0: i32, j1: i32): void {
  const c = changetype<Conv>(g);
  products(c, scratch, workAt(c, scratch), rows, j0, j1);
}

export function f32_winograd_output(g: usize, bias: usize, y: usize, i: i32, scratch: usize, r0: i32, rows: i32, j0: i32, j1: i32): void {
  const c = changetype<Conv>(g);
  outputTransform(c, workAt(c, scratch), bias, y, i, r0, rows, j0, j1);
}

/**
 * The adjoint of a 3x3 stride-1 conv g is the forward conv of dy with the filters rotated and
 * transposed, padded by 2 - pt, 2 - pl: writes that geometry at adj and returns 1 when it takes
 * the Winograd path, else 0.
 */
export function f32_winograd_adjoint(g: usize, adj: usize): i32 {
  const c = changetype<Conv>(g);
  const a = changetype<Conv>(adj);
  a.n = c.n; a.cin = c.cout; a.h = c.oh; a.w = c.ow; a.cout = c.cin;
  a.kh = c.kh; a.kw = c.kw; a.sh = c.sh; a.sw = c.sw; a.dh = c.dh; a.dw = c.dw;
  a.pt = c.kh - 1 - c.pt; a.pl = c.kw - 1 - c.pl; a.oh = c.h; a.ow = c.w;
  return winogradApplies(a) && a.pt >= 0 && a.pl >= 0 ? 1 : 0;
}
