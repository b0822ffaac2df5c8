// C[M,N] = A[M,K] * B[N,K]^T as dot products of rows, vectorised along K.
// Used where the shared dimension is the long contiguous one: Dense backward-data (dy * W^T).

/** f32_gemm_nt: C = A * B^T (+ C when accumulate != 0). Rows of A and B are contiguous, lda/ldb/ldc in elements. */
export function f32_gemm_nt(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32): void {
  const strideA = <usize>lda << 2;
  const strideB = <usize>ldb << 2;
  const strideC = <usize>ldc << 2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= m; i += 4) {
      let j = 0;
      for (; j + 2 <= n; j += 2) {
        dot_4x2(k, a + <usize>i * strideA, strideA, b + <usize>j * strideB, strideB, c + <usize>i * strideC + (<usize>j << 2), strideC, accumulate);
      }
      for (; j < n; j++) {
        for (let r = 0; r < 4; r++) {
          dotInto(k, a + <usize>(i + r) * strideA, b + <usize>j * strideB, c + <usize>(i + r) * strideC + (<usize>j << 2), accumulate);
        }
      }
    }
  }
  for (; i < m; i++) {
    for (let j = 0; j < n; j++) {
      dotInto(k, a + <usize>i * strideA, b + <usize>j * strideB, c + <usize>i * strideC + (<usize>j << 2), accumulate);
    }
  }
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

function dot_4x2(k: i32, a: usize, strideA: usize, b: usize, strideB: usize, c: usize, strideC: usize, accumulate: i32): void {
  const a1 = a + strideA;
  const a2 = a1 + strideA;
  const a3 = a2 + strideA;
  const b1 = b + strideB;
  let vacc0x0 = f32x4.splat(0);
  let vacc0x1 = f32x4.splat(0);
  let vacc1x0 = f32x4.splat(0);
  let vacc1x1 = f32x4.splat(0);
  let vacc2x0 = f32x4.splat(0);
  let vacc2x1 = f32x4.splat(0);
  let vacc3x0 = f32x4.splat(0);
  let vacc3x1 = f32x4.splat(0);
  let p = 0;
  for (; p + 4 <= k; p += 4) {
    const off = <usize>p << 2;
    const vb0 = v128.load(b + off);
    const vb1 = v128.load(b1 + off);
    const va0 = v128.load(a + off);
    const va1 = v128.load(a1 + off);
    const va2 = v128.load(a2 + off);
    const va3 = v128.load(a3 + off);
    vacc0x0 = f32x4.add(vacc0x0, f32x4.mul(va0, vb0));
    vacc0x1 = f32x4.add(vacc0x1, f32x4.mul(va0, vb1));
    vacc1x0 = f32x4.add(vacc1x0, f32x4.mul(va1, vb0));
    vacc1x1 = f32x4.add(vacc1x1, f32x4.mul(va1, vb1));
    vacc2x0 = f32x4.add(vacc2x0, f32x4.mul(va2, vb0));
    vacc2x1 = f32x4.add(vacc2x1, f32x4.mul(va2, vb1));
    vacc3x0 = f32x4.add(vacc3x0, f32x4.mul(va3, vb0));
    vacc3x1 = f32x4.add(vacc3x1, f32x4.mul(va3, vb1));
  }
  let s00 = hsum(vacc0x0), s01 = hsum(vacc0x1), s10 = hsum(vacc1x0), s11 = hsum(vacc1x1);
  let s20 = hsum(vacc2x0), s21 = hsum(vacc2x1), s30 = hsum(vacc3x0), s31 = hsum(vacc3x1);
  for (; p < k; p++) {
    const off = <usize>p << 2;
    const x0 = load<f32>(b + off);
    const x1 = load<f32>(b1 + off);
    const y0 = load<f32>(a + off);
    const y1 = load<f32>(a1 + off);
    const y2 = load<f32>(a2 + off);
    const y3 = load<f32>(a3 + off);
    s00 += y0 * x0; s01 += y0 * x1;
    s10 += y1 * x0; s11 += y1 * x1;
    s20 += y2 * x0; s21 += y2 * x1;
    s30 += y3 * x0; s31 += y3 * x1;
  }
  put2(c, s00, s01, accumulate);
  put2(c + strideC, s10, s11, accumulate);
  put2(c + 2 * strideC, s20, s21, accumulate);
  put2(c + 3 * strideC, s30, s31, accumulate);
}

// @ts-ignore: decorator
@inline
function put2(c: usize, v0: f32, v1: f32, accumulate: i32): void {
  if (accumulate != 0) {
    v0 += load<f32>(c);
    v1 += load<f32>(c, 4);
  }
  store<f32>(c, v0);
  store<f32>(c, v1, 4);
}

function dotInto(k: i32, a: usize, b: usize, c: usize, accumulate: i32): void {
  let s: f32 = 0;
  let p = 0;
  if (ASC_FEATURE_SIMD) {
    let vacc = f32x4.splat(0);
    for (; p + 4 <= k; p += 4) {
      const off = <usize>p << 2;
      vacc = f32x4.add(vacc, f32x4.mul(v128.load(a + off), v128.load(b + off)));
    }
    s = hsum(vacc);
  }
  for (; p < k; p++) {
    const off = <usize>p << 2;
    s += load<f32>(a + off) * load<f32>(b + off);
  }
  store<f32>(c, accumulate != 0 ? s + load<f32>(c) : s);
}
