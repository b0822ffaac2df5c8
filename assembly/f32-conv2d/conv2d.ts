import { Conv, isPointwise } from './geometry';
import { im2col, col2imAdd } from './im2col';
import { f32_gemm } from '../f32-gemm/gemm';
import { f32_gemm_nt } from '../f32-gemm/gemm-nt';
import { f32_transpose } from '../f32-gemm/transpose';

/** Scratch floats f32_conv2d needs: one column matrix (cin*kh*kw, oh*ow). */
export function f32_conv2d_scratch(g: usize): i32 {
  const c = changetype<Conv>(g);
  return isPointwise(c) ? 0 : c.cin * c.kh * c.kw * c.oh * c.ow;
}

/**
 * f32_conv2d: y (n, cout, oh, ow) = conv of x (n, cin, h, w) with w (cout, cin, kh, kw), plus bias (cout) unless 0.
 * As im2col then GEMM, per image: y_n (cout, oh*ow) = W (cout, cin*kh*kw) * col_n.
 */
export function f32_conv2d(g: usize, x: usize, w: usize, bias: usize, y: usize, scratch: usize): void {
  const c = changetype<Conv>(g);
  const k = c.cin * c.kh * c.kw;
  const ohw = c.oh * c.ow;
  const xImage = (<usize>c.cin * <usize>c.h * <usize>c.w) << 2;
  const yImage = (<usize>c.cout * <usize>ohw) << 2;
  const pointwise = isPointwise(c);
  for (let i = 0; i < c.n; i++) {
    const xi = x + <usize>i * xImage;
    let col = xi;
    if (!pointwise) {
      im2col(c, xi, scratch);
      col = scratch;
    }
    f32_gemm(c.cout, ohw, k, w, k, col, ohw, y + <usize>i * yImage, ohw, bias, 0, 0);
  }
}

/** Scratch floats f32_conv2d_backward_data needs: W^T (cin*kh*kw, cout) and one column matrix. */
export function f32_conv2d_backward_data_scratch(g: usize): i32 {
  const c = changetype<Conv>(g);
  const k = c.cin * c.kh * c.kw;
  return k * c.cout + (isPointwise(c) ? 0 : k * c.oh * c.ow);
}

/**
 * f32_conv2d_backward_data: dx (n, cin, h, w) = the adjoint of the conv applied to dy (n, cout, oh, ow):
 * dcol = W^T * dy_n, then col2im, summing where windows overlap. Overwrites dx.
 */
export function f32_conv2d_backward_data(g: usize, dy: usize, w: usize, dx: usize, scratch: usize): void {
  const c = changetype<Conv>(g);
  const k = c.cin * c.kh * c.kw;
  const ohw = c.oh * c.ow;
  const xImage = (<usize>c.cin * <usize>c.h * <usize>c.w) << 2;
  const yImage = (<usize>c.cout * <usize>ohw) << 2;
  const wt = scratch;
  const dcol = scratch + ((<usize>k * <usize>c.cout) << 2);
  f32_transpose(c.cout, k, w, wt);
  const pointwise = isPointwise(c);
  for (let i = 0; i < c.n; i++) {
    const dxi = dx + <usize>i * xImage;
    if (pointwise) {
      f32_gemm(k, ohw, c.cout, wt, c.cout, dy + <usize>i * yImage, ohw, dxi, ohw, 0, 0, 0);
    } else {
      f32_gemm(k, ohw, c.cout, wt, c.cout, dy + <usize>i * yImage, ohw, dcol, ohw, 0, 0, 0);
      memory.fill(dxi, 0, xImage);
      col2imAdd(c, dcol, dxi);
    }
  }
}

/** Scratch floats f32_conv2d_backward_filter needs: one column matrix. */
export function f32_conv2d_backward_filter_scratch(g: usize): i32 {
  return f32_conv2d_scratch(g);
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

function sum(p: usize, count: i32): f32 {
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
