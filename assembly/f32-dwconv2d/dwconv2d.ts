import { Conv, validRange } from '../f32-conv2d/geometry';
import { padImage } from '../f32-conv2d/conv2d';

// Depthwise convolution on channels-first planes (XNNPACK's f32-dwconv2d-chw family): output
// plane co = ci*M + m (M = cout / cin, Keras's depth_multiplier) is input plane ci
// cross-correlated with its own (kh, kw) filter w[co]. The geometry is the conv record
// (geometry.ts) with cout = cin*M; weights are (cout, 1, kh, kw), PyTorch's groups=cin layout.
//
// SIMD builds (strides up to 2) copy each input plane into a zero-padded one in scratch, then
// vectorize over the output row with no bounds to check: eight (stride 1, two accumulators) or
// four (stride 2) outputs accumulate all taps in registers, each tap one broadcast weight times
// one unaligned load (stride 2: two loads and a shuffle to the even lanes, as XNNPACK's 3x3s2
// kernels do); a 3x3 filter keeps its nine weights in registers. The scalar build and larger
// strides take dwPlane/dwPoint, which skip the taps that fall in the padding.

// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Scratch floats f32_dwconv2d needs: one zero-padded input plane (none in the scalar build or at strides past 2). */
export function f32_dwconv2d_scratch(g: usize): i32 {
  const c = changetype<Conv>(g);
  return ASC_FEATURE_SIMD && c.sw <= 2 ? paddedRows(c.oh, c.sh, c.kh, c.dh) * paddedCols(c.ow, c.sw, c.kw, c.dw) : 0;
}

/** f32_dwconv2d: y (n, cout, oh, ow) = depthwise conv of x (n, cin, h, w) with w (cout, 1, kh, kw), plus bias (cout) unless 0. */
export function f32_dwconv2d(g: usize, x: usize, w: usize, bias: usize, y: usize, scratch: usize): void {
  const c = changetype<Conv>(g);
  if (ASC_FEATURE_SIMD) {
    if (c.sw <= 2) {
      forwardPadded(c, x, w, bias, y, scratch);
      return;
    }
  }
  const mult = c.cout / c.cin;
  const taps = <usize>(c.kh * c.kw) << 2;
  const inPlane = (<usize>c.h * <usize>c.w) << 2;
  const outPlane = (<usize>c.oh * <usize>c.ow) << 2;
  for (let i = 0; i < c.n; i++) {
    for (let co = 0; co < c.cout; co++) {
      const src = x + <usize>(i * c.cin + co / mult) * inPlane;
      const dst = y + <usize>(i * c.cout + co) * outPlane;
      const init: f32 = bias ? load<f32>(bias + (<usize>co << 2)) : 0;
      dwPlane(src, c.h, c.w, w + <usize>co * taps, false, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl, dst, c.oh, c.ow, init, false);
    }
  }
}

// f32_dwconv2d in SIMD builds at strides 1 and 2: each input plane padded once, then its M outputs.
function forwardPadded(c: Conv, x: usize, w: usize, bias: usize, y: usize, scratch: usize): void {
  const mult = c.cout / c.cin;
  const taps = <usize>(c.kh * c.kw) << 2;
  const inPlane = (<usize>c.h * <usize>c.w) << 2;
  const outPlane = (<usize>c.oh * <usize>c.ow) << 2;
  const ph = paddedRows(c.oh, c.sh, c.kh, c.dh);
  const pw = paddedCols(c.ow, c.sw, c.kw, c.dw);
  for (let i = 0; i < c.n; i++) {
    for (let ci = 0; ci < c.cin; ci++) {
      padImage(1, c.h, c.w, x + <usize>(i * c.cin + ci) * inPlane, ph, pw, c.pt, c.pl, scratch);
      for (let m = 0; m < mult; m++) {
        const co = ci * mult + m;
        const init: f32 = bias ? load<f32>(bias + (<usize>co << 2)) : 0;
        dwPadded(scratch, pw, w + <usize>co * taps, false, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, y + <usize>(i * c.cout + co) * outPlane, c.oh, c.ow, init, false);
      }
    }
  }
}

/** Scratch floats f32_dwconv2d_backward_data needs: one zero-padded (and spread) gradient plane at strides 1 and 2 in SIMD builds. */
export function f32_dwconv2d_backward_data_scratch(g: usize): i32 {
  const c = changetype<Conv>(g);
  return ASC_FEATURE_SIMD && c.sh <= 2 && c.sw <= 2 ? paddedRows(c.h, 1, c.kh, c.dh) * paddedCols(c.w, 1, c.kw, c.dw) : 0;
}

/**
 * f32_dwconv2d_backward_data: dx (n, cin, h, w) = the adjoint of f32_dwconv2d (no bias) applied to
 * dy (n, cout, oh, ow). Each dx plane gathers, as a correlation of its M dy planes with the
 * flipped filters (padding k_eff - 1 - p; at stride 2, dy spread out with zeros between),
 * vectorized like the forward; the scalar build at stride 1 too. Otherwise each dy row is
 * scattered, tap by tap, into dx. Overwrites dx.
 */
export function f32_dwconv2d_backward_data(g: usize, dy: usize, w: usize, dx: usize, scratch: usize): void {
  const c = changetype<Conv>(g);
  const mult = c.cout / c.cin;
  const taps = <usize>(c.kh * c.kw) << 2;
  const inPlane = (<usize>c.h * <usize>c.w) << 2;
  const outPlane = (<usize>c.oh * <usize>c.ow) << 2;
  const pt = (c.kh - 1) * c.dh - c.pt;
  const pl = (c.kw - 1) * c.dw - c.pl;
  if (ASC_FEATURE_SIMD) {
    if (c.sh <= 2 && c.sw <= 2) {
      // dy spread sh and sw apart with zeros between (plain padding at stride 1), then the
      // stride-1 correlation with the flipped filters: more multiply-adds at stride 2, but all in vectors
      const ph = paddedRows(c.h, 1, c.kh, c.dh);
      const pw = paddedCols(c.w, 1, c.kw, c.dw);
      for (let i = 0; i < c.n; i++) {
        for (let co = 0; co < c.cout; co++) {
          const src = dy + <usize>(i * c.cout + co) * outPlane;
          if (c.sh == 1 && c.sw == 1) padImage(1, c.oh, c.ow, src, ph, pw, pt, pl, scratch);
          else spreadImage(c.oh, c.ow, src, c.sh, c.sw, ph, pw, pt, pl, scratch);
          const dst = dx + <usize>(i * c.cin + co / mult) * inPlane;
          dwPadded(scratch, pw, w + <usize>co * taps, true, c.kh, c.kw, 1, 1, c.dh, c.dw, dst, c.h, c.w, 0, co % mult > 0);
        }
      }
      return;
    }
  }
  if (c.sh == 1 && c.sw == 1) {
    for (let i = 0; i < c.n; i++) {
      for (let co = 0; co < c.cout; co++) {
        const src = dy + <usize>(i * c.cout + co) * outPlane;
        const dst = dx + <usize>(i * c.cin + co / mult) * inPlane;
        dwPlane(src, c.oh, c.ow, w + <usize>co * taps, true, c.kh, c.kw, 1, 1, c.dh, c.dw, pt, pl, dst, c.h, c.w, 0, co % mult > 0);
      }
    }
    return;
  }
  memory.fill(dx, 0, <usize>(c.n * c.cin) * inPlane);
  for (let i = 0; i < c.n; i++) {
    for (let co = 0; co < c.cout; co++) {
      const src = dy + <usize>(i * c.cout + co) * outPlane;
      const dst = dx + <usize>(i * c.cin + co / mult) * inPlane;
      scatterPlane(c, src, w + <usize>co * taps, dst);
    }
  }
}

// SIMD builds copy each plane into a zero-padded one first (the padding, the columns a last
// partial block of four reads, and crops where the padding is negative), so that every output is
// computed in vectors with no bounds to check; strides past 2 keep dwPlane.

// Rows and columns of the padded plane: what outputs [0, out) read, columns rounded up to four outputs.
function paddedRows(out: i32, s: i32, k: i32, d: i32): i32 {
  return (out - 1) * s + (k - 1) * d + 1;
}

function paddedCols(out: i32, s: i32, k: i32, d: i32): i32 {
  return (((out + 3) & ~3) - 1) * s + (k - 1) * d + 1;
}

// dst (ph, pw) = zeros, with src (oh, ow) value (oy, ox) at row oy*sh + top, column ox*sw + left
// where that lies inside.
function spreadImage(oh: i32, ow: i32, src: usize, sh: i32, sw: i32, ph: i32, pw: i32, top: i32, left: i32, dst: usize): void {
  memory.fill(dst, 0, (<usize>ph * <usize>pw) << 2);
  for (let oy = 0; oy < oh; oy++) {
    const r = oy * sh + top;
    if (r < 0 || r >= ph) continue;
    const row = dst + ((<usize>r * <usize>pw) << 2);
    const from = src + ((<usize>oy * <usize>ow) << 2);
    for (let ox = 0; ox < ow; ox++) {
      const col = ox * sw + left;
      if (col >= 0 && col < pw) store<f32>(row + (<usize>col << 2), load<f32>(from + (<usize>ox << 2)));
    }
  }
}

// dst (oh, ow) = init + the correlation of the padded plane p (rows pw floats) with the filter at
// wk, or dst += it when accumulate; output (oy, ox) reads p[oy*sh + ky*dh][ox*sw + kx*dw].
function dwPadded(
  p: usize, pw: i32, wk: usize, flip: bool, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  dst: usize, oh: i32, ow: i32, init: f32, accumulate: bool,
): void {
  const rowBytes = <usize>pw << 2;
  for (let oy = 0; oy < oh; oy++) {
    const r0 = p + <usize>(oy * sh) * rowBytes;
    const out = dst + ((<usize>oy * <usize>ow) << 2);
    let ox = 0;
    if (kh == 3 && kw == 3) ox = dw3x3Row(r0, <usize>dh * rowBytes, <usize>dw << 2, sw, 0, out, 0, ow, init, accumulate, wk, flip);
    for (; ox < ow; ox += 4) {
      const q = out + (<usize>ox << 2);
      const rest = ow - ox;
      let vacc = f32x4.splat(init);
      if (rest >= 4) {
        if (accumulate) vacc = v128.load(q);
      } else if (accumulate) {
        vacc = f32x4.replace_lane(vacc, 0, load<f32>(q));
        if (rest > 1) vacc = f32x4.replace_lane(vacc, 1, load<f32>(q, 4));
        if (rest > 2) vacc = f32x4.replace_lane(vacc, 2, load<f32>(q, 8));
      }
      for (let ky = 0; ky < kh; ky++) {
        const row = r0 + <usize>(ky * dh) * rowBytes + (<usize>(ox * sw) << 2);
        for (let kx = 0; kx < kw; kx++) {
          const vw = v128.load32_splat(wk + (<usize>tap(flip, kh, kw, ky, kx) << 2));
          const at = row + (<usize>(kx * dw) << 2);
          vacc = madd(sw == 1 ? v128.load(at) : even(at), vw, vacc);
        }
      }
      if (rest >= 4) {
        v128.store(q, vacc);
      } else {
        store<f32>(q, f32x4.extract_lane(vacc, 0));
        if (rest > 1) store<f32>(q, f32x4.extract_lane(vacc, 1), 4);
        if (rest > 2) store<f32>(q, f32x4.extract_lane(vacc, 2), 8);
      }
    }
  }
}

// dst (oh, ow) = init + the correlation of src (h, w) with the (kh, kw) filter at wk (read
// back to front when flip), or dst += that correlation when accumulate.
function dwPlane(
  src: usize, h: i32, w: i32, wk: usize, flip: bool, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
  dst: usize, oh: i32, ow: i32, init: f32, accumulate: bool,
): void {
  // interior columns: ox*sw - pl >= 0 and ox*sw - pl + (kw-1)*dw < w
  const lo = min(ow, pl > 0 ? (pl + sw - 1) / sw : 0);
  const last = w - 1 + pl - (kw - 1) * dw;
  const hi = max(lo, last < 0 ? 0 : min(ow, last / sw + 1));
  const rowBytes = <usize>w << 2;
  const three = kh == 3 && kw == 3;
  for (let oy = 0; oy < oh; oy++) {
    const iy0 = oy * sh - pt;
    // kernel rows whose input row is in [0, h)
    const kyLo = iy0 < 0 ? min(kh, (-iy0 + dh - 1) / dh) : 0;
    const kyHi = h - 1 - iy0 < 0 ? 0 : min(kh, (h - 1 - iy0) / dh + 1);
    const out = dst + ((<usize>oy * <usize>ow) << 2);
    let ox = 0;
    for (; ox < lo; ox++) dwPoint(src, w, wk, flip, kh, kw, sw, dh, dw, pl, iy0, kyLo, kyHi, out, ox, init, accumulate);
    if (ASC_FEATURE_SIMD) {
      if (three && kyLo == 0 && kyHi == 3 && sw <= 2) {
        ox = dw3x3Row(src + <usize>iy0 * rowBytes, <usize>dh * rowBytes, <usize>dw << 2, sw, pl, out, ox, hi, init, accumulate, wk, flip);
      }
      if (sw == 1) {
        for (; ox + 8 <= hi; ox += 8) {
          const p = out + (<usize>ox << 2);
          let vacc0 = accumulate ? v128.load(p) : f32x4.splat(init);
          let vacc1 = accumulate ? v128.load(p, 16) : f32x4.splat(init);
          for (let ky = kyLo; ky < kyHi; ky++) {
            const row = src + <usize>(iy0 + ky * dh) * rowBytes + (<usize>(ox - pl) << 2);
            for (let kx = 0; kx < kw; kx++) {
              const vw = v128.load32_splat(wk + (<usize>tap(flip, kh, kw, ky, kx) << 2));
              const q = row + (<usize>(kx * dw) << 2);
              vacc0 = madd(v128.load(q), vw, vacc0);
              vacc1 = madd(v128.load(q, 16), vw, vacc1);
            }
          }
          v128.store(p, vacc0);
          v128.store(p, vacc1, 16);
        }
        for (; ox + 4 <= hi; ox += 4) {
          const p = out + (<usize>ox << 2);
          let vacc = accumulate ? v128.load(p) : f32x4.splat(init);
          for (let ky = kyLo; ky < kyHi; ky++) {
            const row = src + <usize>(iy0 + ky * dh) * rowBytes + (<usize>(ox - pl) << 2);
            for (let kx = 0; kx < kw; kx++) {
              const vw = v128.load32_splat(wk + (<usize>tap(flip, kh, kw, ky, kx) << 2));
              vacc = madd(v128.load(row + (<usize>(kx * dw) << 2)), vw, vacc);
            }
          }
          v128.store(p, vacc);
        }
      } else if (sw == 2) {
        for (; ox + 4 <= hi; ox += 4) {
          const p = out + (<usize>ox << 2);
          let vacc = accumulate ? v128.load(p) : f32x4.splat(init);
          for (let ky = kyLo; ky < kyHi; ky++) {
            const row = src + <usize>(iy0 + ky * dh) * rowBytes + (<usize>(2 * ox - pl) << 2);
            for (let kx = 0; kx < kw; kx++) {
              const vw = v128.load32_splat(wk + (<usize>tap(flip, kh, kw, ky, kx) << 2));
              const q = row + (<usize>(kx * dw) << 2);
              vacc = madd(even(q), vw, vacc);
            }
          }
          v128.store(p, vacc);
        }
      }
    }
    for (; ox < ow; ox++) dwPoint(src, w, wk, flip, kh, kw, sw, dh, dw, pl, iy0, kyLo, kyHi, out, ox, init, accumulate);
  }
}

// A 3x3 filter (MobileNet's) on an output row whose three input rows are all in bounds: r0,
// r0 + rowStep, r0 + 2*rowStep (bytes), taps colStep bytes apart. The nine weights stay in
// registers; eight then four (stride 1) or four (stride 2) outputs at a time from ox up to hi
// (interior columns only). Returns where it stopped.
// @ts-ignore: decorator
@inline
function dw3x3Row(
  r0: usize, rowStep: usize, colStep: usize, sw: i32, pl: i32, out: usize, ox: i32, hi: i32, init: f32, accumulate: bool, wk: usize, flip: bool,
): i32 {
  const vw0 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 0, 0) << 2));
  const vw1 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 0, 1) << 2));
  const vw2 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 0, 2) << 2));
  const vw3 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 1, 0) << 2));
  const vw4 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 1, 1) << 2));
  const vw5 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 1, 2) << 2));
  const vw6 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 2, 0) << 2));
  const vw7 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 2, 1) << 2));
  const vw8 = v128.load32_splat(wk + (<usize>tap(flip, 3, 3, 2, 2) << 2));
  const r1 = r0 + rowStep;
  const r2 = r1 + rowStep;
  const c1 = colStep;
  const c2 = colStep << 1;
  if (sw == 1) {
    for (; ox + 8 <= hi; ox += 8) {
      const p = out + (<usize>ox << 2);
      const at = <usize>(ox - pl) << 2;
      let vacc0 = accumulate ? v128.load(p) : f32x4.splat(init);
      let vacc1 = accumulate ? v128.load(p, 16) : f32x4.splat(init);
      let q = r0 + at;
      vacc0 = madd(v128.load(q), vw0, vacc0);
      vacc1 = madd(v128.load(q, 16), vw0, vacc1);
      vacc0 = madd(v128.load(q + c1), vw1, vacc0);
      vacc1 = madd(v128.load(q + c1, 16), vw1, vacc1);
      vacc0 = madd(v128.load(q + c2), vw2, vacc0);
      vacc1 = madd(v128.load(q + c2, 16), vw2, vacc1);
      q = r1 + at;
      vacc0 = madd(v128.load(q), vw3, vacc0);
      vacc1 = madd(v128.load(q, 16), vw3, vacc1);
      vacc0 = madd(v128.load(q + c1), vw4, vacc0);
      vacc1 = madd(v128.load(q + c1, 16), vw4, vacc1);
      vacc0 = madd(v128.load(q + c2), vw5, vacc0);
      vacc1 = madd(v128.load(q + c2, 16), vw5, vacc1);
      q = r2 + at;
      vacc0 = madd(v128.load(q), vw6, vacc0);
      vacc1 = madd(v128.load(q, 16), vw6, vacc1);
      vacc0 = madd(v128.load(q + c1), vw7, vacc0);
      vacc1 = madd(v128.load(q + c1, 16), vw7, vacc1);
      vacc0 = madd(v128.load(q + c2), vw8, vacc0);
      vacc1 = madd(v128.load(q + c2, 16), vw8, vacc1);
      v128.store(p, vacc0);
      v128.store(p, vacc1, 16);
    }
    for (; ox + 4 <= hi; ox += 4) {
      const p = out + (<usize>ox << 2);
      const at = <usize>(ox - pl) << 2;
      let vacc = accumulate ? v128.load(p) : f32x4.splat(init);
      vacc = madd(v128.load(r0 + at), vw0, vacc);
      vacc = madd(v128.load(r0 + at + c1), vw1, vacc);
      vacc = madd(v128.load(r0 + at + c2), vw2, vacc);
      vacc = madd(v128.load(r1 + at), vw3, vacc);
      vacc = madd(v128.load(r1 + at + c1), vw4, vacc);
      vacc = madd(v128.load(r1 + at + c2), vw5, vacc);
      vacc = madd(v128.load(r2 + at), vw6, vacc);
      vacc = madd(v128.load(r2 + at + c1), vw7, vacc);
      vacc = madd(v128.load(r2 + at + c2), vw8, vacc);
      v128.store(p, vacc);
    }
  } else {
    for (; ox + 4 <= hi; ox += 4) {
      const p = out + (<usize>ox << 2);
      const at = <usize>(2 * ox - pl) << 2;
      let vacc = accumulate ? v128.load(p) : f32x4.splat(init);
      vacc = madd(even(r0 + at), vw0, vacc);
      vacc = madd(even(r0 + at + c1), vw1, vacc);
      vacc = madd(even(r0 + at + c2), vw2, vacc);
      vacc = madd(even(r1 + at), vw3, vacc);
      vacc = madd(even(r1 + at + c1), vw4, vacc);
      vacc = madd(even(r1 + at + c2), vw5, vacc);
      vacc = madd(even(r2 + at), vw6, vacc);
      vacc = madd(even(r2 + at + c1), vw7, vacc);
      vacc = madd(even(r2 + at + c2), vw8, vacc);
      v128.store(p, vacc);
    }
  }
  return ox;
}

// q[0], q[2], q[4], q[6]: the second load starts at q[3] so as not to read past q[6]
// @ts-ignore: decorator
@inline
export function even(q: usize): v128 {
  return v128.shuffle<f32>(v128.load(q), v128.load(q, 12), 0, 2, 5, 7);
}

// @ts-ignore: decorator
@inline
function tap(flip: bool, kh: i32, kw: i32, ky: i32, kx: i32): i32 {
  const t = ky * kw + kx;
  return flip ? kh * kw - 1 - t : t;
}

// One output of dwPlane, every column checked.
// @ts-ignore: decorator
@inline
function dwPoint(
  src: usize, w: i32, wk: usize, flip: bool, kh: i32, kw: i32, sw: i32, dh: i32, dw: i32, pl: i32,
  iy0: i32, kyLo: i32, kyHi: i32, out: usize, ox: i32, init: f32, accumulate: bool,
): void {
  const p = out + (<usize>ox << 2);
  let acc = accumulate ? load<f32>(p) : init;
  const ix0 = ox * sw - pl;
  for (let ky = kyLo; ky < kyHi; ky++) {
    const row = src + ((<usize>(iy0 + ky * dh) * <usize>w) << 2);
    for (let kx = 0; kx < kw; kx++) {
      const ix = ix0 + kx * dw;
      if (ix >= 0 && ix < w) acc += load<f32>(row + (<usize>ix << 2)) * load<f32>(wk + (<usize>tap(flip, kh, kw, ky, kx) << 2));
    }
  }
  store<f32>(p, acc);
}

// dst (h, w) += the adjoint of one output plane's correlation, applied to src (oh, ow): each tap
// adds weight * a dy row into the dx row it read, at every sw-th column.
function scatterPlane(c: Conv, src: usize, wk: usize, dst: usize): void {
  for (let oy = 0; oy < c.oh; oy++) {
    const dyRow = src + ((<usize>oy * <usize>c.ow) << 2);
    for (let ky = 0; ky < c.kh; ky++) {
      const iy = oy * c.sh - c.pt + ky * c.dh;
      if (iy < 0 || iy >= c.h) continue;
      const dxRow = dst + ((<usize>iy * <usize>c.w) << 2);
      for (let kx = 0; kx < c.kw; kx++) {
        const offset = kx * c.dw - c.pl;
        const range = validRange(c.ow, c.w, c.sw, offset);
        const lo = <i32>(range >> 32);
        const hi = <i32>range;
        const wv = load<f32>(wk + (<usize>(ky * c.kw + kx) << 2));
        let ox = lo;
        if (ASC_FEATURE_SIMD) {
          const vw = f32x4.splat(wv);
          if (c.sw == 1) {
            for (; ox + 4 <= hi; ox += 4) {
              const q = dxRow + (<usize>(ox + offset) << 2);
              v128.store(q, madd(v128.load(dyRow + (<usize>ox << 2)), vw, v128.load(q)));
            }
          } else if (c.sw == 2) {
            const zero = f32x4.splat(0);
            for (; ox + 4 <= hi; ox += 4) {
              // dy*w for four outputs goes to dx columns q[0], q[2], q[4], q[6]: two overlapping
              // vectors q[0..3] and q[3..6] (q[3] gets nothing, so the overlap is harmless)
              const vd = f32x4.mul(v128.load(dyRow + (<usize>ox << 2)), vw);
              const q = dxRow + (<usize>(2 * ox + offset) << 2);
              const va = f32x4.add(v128.load(q), v128.shuffle<f32>(vd, zero, 0, 4, 1, 4));
              const vb = f32x4.add(v128.load(q, 12), v128.shuffle<f32>(vd, zero, 4, 2, 4, 3));
              v128.store(q, va);
              v128.store(q, vb, 12);
            }
          }
        }
        for (; ox < hi; ox++) {
          const q = dxRow + (<usize>(ox * c.sw + offset) << 2);
          store<f32>(q, load<f32>(q) + wv * load<f32>(dyRow + (<usize>ox << 2)));
        }
      }
    }
  }
}
