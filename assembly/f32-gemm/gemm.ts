// C[M,N] = A[M,K] * B[K,N] (+ bias), row-major with leading dimensions in elements.
// The SIMD build vectorises along N with a 4x8 register tile (8 v128 accumulators),
// blocked over K and N. Each KC x NC block of B is packed into contiguous 8-column panels
// first: rows of B read in place sit ldb apart, and when ldb*4 is a multiple of 4 KiB
// (conv outputs such as 224x224) they all land in the same cache sets and thrash L1.

const KC: i32 = 256;
const NC: i32 = 512;
const packedB: usize = memory.data(KC * NC * 4, 16);

/**
 * f32_gemm: C = A * B, plus biasRow[i] (if biasRow != 0) and biasCol[j] (if biasCol != 0);
 * with accumulate != 0, C is added to instead of overwritten. Pointers are byte addresses of
 * f32 arrays, any alignment.
 */
export function f32_gemm(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32,
  b: usize, ldb: i32,
  c: usize, ldc: i32,
  biasRow: usize, biasCol: usize, accumulate: i32,
): void {
  initOutput(m, n, c, ldc, biasRow, biasCol, accumulate);
  if (k == 0) return;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      const aBlock = a + (<usize>p0 << 2);
      const bBlock = b + ((<usize>p0 * <usize>ldb + <usize>j0) << 2);
      const cBlock = c + (<usize>j0 << 2);
      if (ASC_FEATURE_SIMD) {
        gemmBlockSimd(m, nc, kc, aBlock, lda, bBlock, ldb, cBlock, ldc);
      } else {
        gemmBlockScalar(m, nc, kc, aBlock, lda, bBlock, ldb, cBlock, ldc);
      }
    }
  }
}

function initOutput(m: i32, n: i32, c: usize, ldc: i32, biasRow: usize, biasCol: usize, accumulate: i32): void {
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * <usize>ldc) << 2);
    const rb: f32 = biasRow != 0 ? load<f32>(biasRow + (<usize>i << 2)) : 0;
    for (let j = 0; j < n; j++) {
      const p = row + (<usize>j << 2);
      let v: f32 = accumulate != 0 ? load<f32>(p) : 0;
      v += rb;
      if (biasCol != 0) v += load<f32>(biasCol + (<usize>j << 2));
      store<f32>(p, v);
    }
  }
}

// C[0:m, 0:n] += A[0:m, 0:k] * B[0:k, 0:n]
function gemmBlockScalar(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32): void {
  for (let i = 0; i < m; i++) {
    const aRow = a + ((<usize>i * <usize>lda) << 2);
    const cRow = c + ((<usize>i * <usize>ldc) << 2);
    for (let p = 0; p < k; p++) {
      const av = load<f32>(aRow + (<usize>p << 2));
      const bRow = b + ((<usize>p * <usize>ldb) << 2);
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const cp = cRow + (<usize>j << 2);
        const bp = bRow + (<usize>j << 2);
        store<f32>(cp, load<f32>(cp) + av * load<f32>(bp));
        store<f32>(cp, load<f32>(cp, 4) + av * load<f32>(bp, 4), 4);
        store<f32>(cp, load<f32>(cp, 8) + av * load<f32>(bp, 8), 8);
        store<f32>(cp, load<f32>(cp, 12) + av * load<f32>(bp, 12), 12);
      }
      for (; j < n; j++) {
        const cp = cRow + (<usize>j << 2);
        store<f32>(cp, load<f32>(cp) + av * load<f32>(bRow + (<usize>j << 2)));
      }
    }
  }
}

function gemmBlockSimd(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32): void {
  const strideA = <usize>lda << 2;
  const strideB = <usize>ldb << 2;
  const strideC = <usize>ldc << 2;
  packPanels(n, k, b, strideB);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a + <usize>i * strideA;
    const c0 = c + <usize>i * strideC;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      gemm_4x8(k, a0, strideA, packedB + ((<usize>j * <usize>k) << 2), 32, c0 + (<usize>j << 2), strideC);
    }
    for (; j + 4 <= n; j += 4) {
      gemm_4x4(k, a0, strideA, b + (<usize>j << 2), strideB, c0 + (<usize>j << 2), strideC);
    }
    for (; j < n; j++) {
      for (let r = 0; r < 4; r++) {
        gemm_1x1(k, a0 + <usize>r * strideA, b + (<usize>j << 2), strideB, c0 + <usize>r * strideC + (<usize>j << 2));
      }
    }
  }
  for (; i < m; i++) {
    const a0 = a + <usize>i * strideA;
    const c0 = c + <usize>i * strideC;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      gemm_1x8(k, a0, packedB + ((<usize>j * <usize>k) << 2), 32, c0 + (<usize>j << 2));
    }
    for (; j + 4 <= n; j += 4) {
      gemm_1x4(k, a0, b + (<usize>j << 2), strideB, c0 + (<usize>j << 2));
    }
    for (; j < n; j++) {
      gemm_1x1(k, a0, b + (<usize>j << 2), strideB, c0 + (<usize>j << 2));
    }
  }
}

// packedB[strip j/8][p][0..8] = B[p, j..j+8] for every full 8-column strip.
function packPanels(n: i32, k: i32, b: usize, strideB: usize): void {
  let dst = packedB;
  for (let j = 0; j + 8 <= n; j += 8) {
    let src = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      dst += 32;
      src += strideB;
    }
  }
}

// @ts-ignore: decorator
@inline
function gemm_4x8(k: i32, a: usize, strideA: usize, b: usize, strideB: usize, c: usize, strideC: usize): void {
  const c1 = c + strideC;
  const c2 = c1 + strideC;
  const c3 = c2 + strideC;
  let vacc0x0123 = v128.load(c);
  let vacc0x4567 = v128.load(c, 16);
  let vacc1x0123 = v128.load(c1);
  let vacc1x4567 = v128.load(c1, 16);
  let vacc2x0123 = v128.load(c2);
  let vacc2x4567 = v128.load(c2, 16);
  let vacc3x0123 = v128.load(c3);
  let vacc3x4567 = v128.load(c3, 16);
  const a1 = a + strideA;
  const a2 = a1 + strideA;
  const a3 = a2 + strideA;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const off = <usize>p << 2;
    const vb0123 = v128.load(bp);
    const vb4567 = v128.load(bp, 16);
    const va0 = f32x4.splat(load<f32>(a + off));
    const va1 = f32x4.splat(load<f32>(a1 + off));
    const va2 = f32x4.splat(load<f32>(a2 + off));
    const va3 = f32x4.splat(load<f32>(a3 + off));
    vacc0x0123 = f32x4.add(vacc0x0123, f32x4.mul(va0, vb0123));
    vacc0x4567 = f32x4.add(vacc0x4567, f32x4.mul(va0, vb4567));
    vacc1x0123 = f32x4.add(vacc1x0123, f32x4.mul(va1, vb0123));
    vacc1x4567 = f32x4.add(vacc1x4567, f32x4.mul(va1, vb4567));
    vacc2x0123 = f32x4.add(vacc2x0123, f32x4.mul(va2, vb0123));
    vacc2x4567 = f32x4.add(vacc2x4567, f32x4.mul(va2, vb4567));
    vacc3x0123 = f32x4.add(vacc3x0123, f32x4.mul(va3, vb0123));
    vacc3x4567 = f32x4.add(vacc3x4567, f32x4.mul(va3, vb4567));
    bp += strideB;
  }
  v128.store(c, vacc0x0123);
  v128.store(c, vacc0x4567, 16);
  v128.store(c1, vacc1x0123);
  v128.store(c1, vacc1x4567, 16);
  v128.store(c2, vacc2x0123);
  v128.store(c2, vacc2x4567, 16);
  v128.store(c3, vacc3x0123);
  v128.store(c3, vacc3x4567, 16);
}

// @ts-ignore: decorator
@inline
function gemm_4x4(k: i32, a: usize, strideA: usize, b: usize, strideB: usize, c: usize, strideC: usize): void {
  const c1 = c + strideC;
  const c2 = c1 + strideC;
  const c3 = c2 + strideC;
  let vacc0 = v128.load(c);
  let vacc1 = v128.load(c1);
  let vacc2 = v128.load(c2);
  let vacc3 = v128.load(c3);
  const a1 = a + strideA;
  const a2 = a1 + strideA;
  const a3 = a2 + strideA;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const off = <usize>p << 2;
    const vb = v128.load(bp);
    vacc0 = f32x4.add(vacc0, f32x4.mul(f32x4.splat(load<f32>(a + off)), vb));
    vacc1 = f32x4.add(vacc1, f32x4.mul(f32x4.splat(load<f32>(a1 + off)), vb));
    vacc2 = f32x4.add(vacc2, f32x4.mul(f32x4.splat(load<f32>(a2 + off)), vb));
    vacc3 = f32x4.add(vacc3, f32x4.mul(f32x4.splat(load<f32>(a3 + off)), vb));
    bp += strideB;
  }
  v128.store(c, vacc0);
  v128.store(c1, vacc1);
  v128.store(c2, vacc2);
  v128.store(c3, vacc3);
}

// @ts-ignore: decorator
@inline
function gemm_1x8(k: i32, a: usize, b: usize, strideB: usize, c: usize): void {
  let vacc0123 = v128.load(c);
  let vacc4567 = v128.load(c, 16);
  let bp = b;
  for (let p = 0; p < k; p++) {
    const va = f32x4.splat(load<f32>(a + (<usize>p << 2)));
    vacc0123 = f32x4.add(vacc0123, f32x4.mul(va, v128.load(bp)));
    vacc4567 = f32x4.add(vacc4567, f32x4.mul(va, v128.load(bp, 16)));
    bp += strideB;
  }
  v128.store(c, vacc0123);
  v128.store(c, vacc4567, 16);
}

// @ts-ignore: decorator
@inline
function gemm_1x4(k: i32, a: usize, b: usize, strideB: usize, c: usize): void {
  let vacc = v128.load(c);
  let bp = b;
  for (let p = 0; p < k; p++) {
    vacc = f32x4.add(vacc, f32x4.mul(f32x4.splat(load<f32>(a + (<usize>p << 2))), v128.load(bp)));
    bp += strideB;
  }
  v128.store(c, vacc);
}

// @ts-ignore: decorator
@inline
function gemm_1x1(k: i32, a: usize, b: usize, strideB: usize, c: usize): void {
  let acc = load<f32>(c);
  let bp = b;
  for (let p = 0; p < k; p++) {
    acc += load<f32>(a + (<usize>p << 2)) * load<f32>(bp);
    bp += strideB;
  }
  store<f32>(c, acc);
}
