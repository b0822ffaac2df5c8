import { Conv, isPointwise } from './geometry';
import { im2col } from './im2col';
import { gemm } from '../f32-gemm/gemm';
import { f32_gemm_nt } from '../f32-gemm/gemm-nt';
import {
  winogradApplies, winogradScratch, ADJOINT_GEOMETRY_FLOATS,
  f32_winograd_adjoint, f32_winograd_weights, f32_winograd_image, f32_winograd_rows, f32_winograd_tile_rows,
} from './winograd';

// Convolutions run as an implicit GEMM: y_n (cout, oh*ow) = W (cout, cin*kh*kw) * B, where
// B[(ci, ky, kx), (oy, ox)] = image[ci, oy*sh + ky*dh, ox*sw + kx*dw] of the image padded by
// pt/pl (or read in place when it needs no padding). That address splits into a row part per
// tap and a column part per output position: two offset tables the GEMM reads B through while
// it packs, so the column matrix of im2col is never written. The backward pass for the data
// runs the transposed GEMM W^T * dy_n and adds each product element back through the same two
// tables (col2im fused into the GEMM). 3x3 stride-1 convolutions with enough channels take the
// Winograd path instead, both ways (winograd.ts: winogradApplies).

// Where the backward pass's scratch size is worked out: the adjoint's geometry (main thread only).
const adjointProbe: usize = memory.data(ADJOINT_GEOMETRY_FLOATS * 4, 16);

/** Scratch floats f32_conv2d needs: tap and position offset tables and the padded image, or the Winograd path's. */
export function f32_conv2d_scratch(g: usize): i32 {
  const c = changetype<Conv>(g);
  return winogradApplies(c) ? winogradScratch(c) : implicitScratch(c);
}

/** f32_conv2d: y (n, cout, oh, ow) = conv of x (n, cin, h, w) with w (cout, cin, kh, kw), plus bias (cout) unless 0. */
export function f32_conv2d(g: usize, x: usize, w: usize, bias: usize, y: usize, scratch: usize): void {
  const c = changetype<Conv>(g);
  if (winogradApplies(c)) {
    f32_winograd_weights(g, w, scratch, 0, 0, c.cout);
    const rows = f32_winograd_tile_rows(g);
    for (let i = 0; i < c.n; i++) {
      f32_winograd_image(g, x, i, scratch);
      f32_winograd_rows(g, bias, y, i, scratch, 0, rows);
    }
    return;
  }
  const ohw = c.oh * c.ow;
  for (let i = 0; i < c.n; i++) {
    f32_conv2d_columns(g, f32_conv2d_prepare(g, x, i, scratch), w, bias, y, i, scratch, 0, ohw);
  }
}

/**
 * The first step of f32_conv2d for image i, for callers that split the GEMM between threads:
 * writes the offset tables into scratch and pads image i if needed. Returns the image the GEMM
 * reads (in x, or the padded copy in scratch).
 */
export function f32_conv2d_prepare(g: usize, x: usize, i: i32, scratch: usize): usize {
  const c = changetype<Conv>(g);
  const padded = writeTables(c, scratch);
  const src = x + <usize>i * ((<usize>c.cin * <usize>c.h * <usize>c.w) << 2);
  if (!padded) return src;
  const image = paddedImage(c, scratch);
  padImage(c.cin, c.h, c.w, src, paddedHeight(c), paddedWidth(c), c.pt, c.pl, image);
  return image;
}

/**
 * The second step: output positions j0..j1 of image i (j0 a multiple of 8), read from src (what
 * f32_conv2d_prepare returned) through the tables in scratch. Each position's sums run in the
 * same order as in f32_conv2d, so disjoint ranges on two threads give the same bits as one call.
 */
export function f32_conv2d_columns(g: usize, src: usize, w: usize, bias: usize, y: usize, i: i32, scratch: usize, j0: i32, j1: i32): void {
  const c = changetype<Conv>(g);
  const k = c.cin * c.kh * c.kw;
  const ohw = c.oh * c.ow;
  const cols = columnTable(c, scratch) + (<usize>j0 << 2);
  const yi = y + <usize>i * ((<usize>c.cout * <usize>ohw) << 2) + (<usize>j0 << 2);
  gemm(c.cout, j1 - j0, k, w, k, false, src, 0, scratch, cols, yi, ohw, 0, 0, bias, 0, 0);
}

/** Scratch floats f32_conv2d_backward_data needs: tap and position offset tables and the padded gradient image, or the Winograd path's. */
export function f32_conv2d_backward_data_scratch(g: usize): i32 {
  if (f32_winograd_adjoint(g, adjointProbe)) return ADJOINT_GEOMETRY_FLOATS + winogradScratch(changetype<Conv>(adjointProbe));
  return implicitScratch(changetype<Conv>(g));
}

/**
 * f32_conv2d_backward_data: dx (n, cin, h, w) = the adjoint of the conv applied to dy (n, cout, oh, ow).
 * Per image, the GEMM W^T * dy_n (W read transposed as it is packed), each element added straight
 * to the input position it came from through the forward's offset tables, into a padded gradient
 * image that is then cropped into dx. Overwrites dx.
 */
export function f32_conv2d_backward_data(g: usize, dy: usize, w: usize, dx: usize, scratch: usize): void {
  const c = changetype<Conv>(g);
  if (f32_winograd_adjoint(g, scratch)) {
    const work = scratch + (<usize>ADJOINT_GEOMETRY_FLOATS << 2);
    f32_winograd_weights(scratch, w, work, 1, 0, c.cin);
    const rows = f32_winograd_tile_rows(scratch);
    for (let i = 0; i < c.n; i++) {
      f32_winograd_image(scratch, dy, i, work);
      f32_winograd_rows(scratch, 0, dx, i, work, 0, rows);
    }
    return;
  }
  const padded = writeTables(c, scratch);
  const hp = paddedHeight(c);
  const wp = paddedWidth(c);
  const k = c.cin * c.kh * c.kw;
  const ohw = c.oh * c.ow;
  const taps = scratch;
  const cols = columnTable(c, scratch);
  const image = paddedImage(c, scratch);
  const xImage = (<usize>c.cin * <usize>c.h * <usize>c.w) << 2;
  const yImage = (<usize>c.cout * <usize>ohw) << 2;
  for (let i = 0; i < c.n; i++) {
    const dxi = dx + <usize>i * xImage;
    const target = padded ? image : dxi;
    memory.fill(target, 0, padded ? (<usize>c.cin * <usize>hp * <usize>wp) << 2 : xImage);
    gemm(k, ohw, c.cout, w, k, true, dy + <usize>i * yImage, ohw, 0, 0, target, 0, taps, cols, 0, 0, 0);
    // the adjoint of padding: crop (input rows and columns no window reached get 0)
    if (padded) padImage(c.cin, hp, wp, image, c.h, c.w, -c.pt, -c.pl, dxi);
  }
}

/** Scratch floats f32_conv2d_backward_filter needs: one column matrix (none for a pointwise conv). */
export function f32_conv2d_backward_filter_scratch(g: usize): i32 {
  const c = changetype<Conv>(g);
  return isPointwise(c) ? 0 : c.cin * c.kh * c.kw * c.oh * c.ow;
}

/**
 * f32_conv2d_backward_filter: dw (cout, cin, kh, kw) = sum_n dy_n * col_n^T and db (cout) = sum of dy
 * over the batch and positions. Overwrites both.
 */
export function f32_conv2d_backward_filter(g: usize, x: usize, dy: usize, dw: usize, db: usize, scratch: usize): void {
  const c = changetype<Conv>(g);
  const k = c.cin * c.kh * c.kw;
  const ohw = c.oh * c.ow;
  const xImage = (<usize>c.cin * <usize>c.h * <usize>c.w) << 2;
  const yImage = (<usize>c.cout * <usize>ohw) << 2;
  const pointwise = isPointwise(c);
  memory.fill(db, 0, <usize>c.cout << 2);
  for (let i = 0; i < c.n; i++) {
    const xi = x + <usize>i * xImage;
    const dyi = dy + <usize>i * yImage;
    let col = xi;
    if (!pointwise) {
      im2col(c, xi, scratch);
      col = scratch;
    }
    f32_gemm_nt(c.cout, k, ohw, dyi, ohw, col, ohw, dw, k, i > 0 ? 1 : 0);
    for (let co = 0; co < c.cout; co++) {
      const p = db + (<usize>co << 2);
      store<f32>(p, load<f32>(p) + sum(dyi + ((<usize>co * <usize>ohw) << 2), ohw));
    }
  }
}

// The padded image a conv reads: from the first row (column) padding moves in to the last one a
// window reaches.
function paddedHeight(c: Conv): i32 {
  return (c.oh - 1) * c.sh + (c.kh - 1) * c.dh + 1;
}

function paddedWidth(c: Conv): i32 {
  return (c.ow - 1) * c.sw + (c.kw - 1) * c.dw + 1;
}

// The image can be read in place when there is no padding before it and it is at least as
// large as the padded image would be.
function needsPadding(c: Conv, hp: i32, wp: i32): bool {
  return c.pt != 0 || c.pl != 0 || hp > c.h || wp > c.w;
}

// cin*kh*kw tap offsets and oh*ow position offsets (i32s), then the padded image (cin, hp, wp)
// unless the image is read in place.
function implicitScratch(c: Conv): i32 {
  const hp = paddedHeight(c);
  const wp = paddedWidth(c);
  const tables = c.cin * c.kh * c.kw + c.oh * c.ow;
  return needsPadding(c, hp, wp) ? tables + c.cin * hp * wp : tables;
}

// Writes the tap table at scratch and the position table after it, for the image the conv reads:
// the padded copy (after the tables) or, when no padding is needed, the input in place. Returns
// whether the padded copy is the one.
function writeTables(c: Conv, scratch: usize): bool {
  const hp = paddedHeight(c);
  const wp = paddedWidth(c);
  const padded = needsPadding(c, hp, wp);
  writeOffsets(c, padded ? wp : c.w, padded ? hp * wp : c.h * c.w, scratch, columnTable(c, scratch));
  return padded;
}

// @ts-ignore: decorator
@inline
function columnTable(c: Conv, scratch: usize): usize {
  return scratch + (<usize>(c.cin * c.kh * c.kw) << 2);
}

// @ts-ignore: decorator
@inline
function paddedImage(c: Conv, scratch: usize): usize {
  return columnTable(c, scratch) + (<usize>(c.oh * c.ow) << 2);
}

// The offset tables of the implicit im2col, in bytes: the image element under tap (ci, ky, kx)
// of output position (oy, ox) is at image + taps[(ci, ky, kx)] + cols[(oy, ox)], for an image
// whose rows are rowStride and planes planeStride floats apart.
function writeOffsets(c: Conv, rowStride: i32, planeStride: i32, taps: usize, cols: usize): void {
  for (let ci = 0; ci < c.cin; ci++) {
    for (let ky = 0; ky < c.kh; ky++) {
      for (let kx = 0; kx < c.kw; kx++) {
        store<i32>(taps, (ci * planeStride + ky * c.dh * rowStride + kx * c.dw) << 2);
        taps += 4;
      }
    }
  }
  for (let oy = 0; oy < c.oh; oy++) {
    for (let ox = 0; ox < c.ow; ox++) {
      store<i32>(cols, (oy * c.sh * rowStride + ox * c.sw) << 2);
      cols += 4;
    }
  }
}

// dst (channels, hp, wp) = src (channels, h, w) moved down by top rows and right by left columns
// (negative values crop), zero where nothing lands.
export function padImage(channels: i32, h: i32, w: i32, src: usize, hp: i32, wp: i32, top: i32, left: i32, dst: usize): void {
  const colLo = max(left, 0);
  const colHi = min(wp, w + left);
  const rowBytes = <usize>wp << 2;
  for (let ch = 0; ch < channels; ch++) {
    const plane = src + ((<usize>ch * <usize>h * <usize>w) << 2);
    for (let r = 0; r < hp; r++) {
      const sr = r - top;
      if (sr < 0 || sr >= h || colLo >= colHi) {
        memory.fill(dst, 0, rowBytes);
      } else {
        if (colLo > 0) memory.fill(dst, 0, <usize>colLo << 2);
        memory.copy(dst + (<usize>colLo << 2), plane + (<usize>(sr * w + colLo - left) << 2), <usize>(colHi - colLo) << 2);
        if (colHi < wp) memory.fill(dst + (<usize>colHi << 2), 0, <usize>(wp - colHi) << 2);
      }
      dst += rowBytes;
    }
  }
}

/** The sum of count floats at p: four lanes, then the lanes added. */
export function sum(p: usize, count: i32): f32 {
  let s: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let vacc = f32x4.splat(0);
    for (; i + 4 <= count; i += 4) vacc = f32x4.add(vacc, v128.load(p + (<usize>i << 2)));
    s = f32x4.extract_lane(vacc, 0) + f32x4.extract_lane(vacc, 1) + f32x4.extract_lane(vacc, 2) + f32x4.extract_lane(vacc, 3);
  }
  for (; i < count; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}
