// The 4x8 microkernels: C[0:rows, 0:8] = init + Apanel * B[0:kc, 0:8] for rows = 1..4.
// Apanel is (kc, 4) row-major: the four A values of one k step side by side, zero past `rows`
// (pack.ts). B comes either packed, as a (kc, 8) strip (`packed`), or read in place (`indirect`):
// row p at b + taps[p], taps holding i32 byte offsets. C rows are strideC bytes apart; no
// alignment is required anywhere.
// init is C (flags & INIT_LOAD_C) or 0, plus rowBias[0:rows] per row if rowBias != 0 and
// colBias[0:8] per column if colBias != 0. The scatter variants add each row of the product to
// its own place instead (see f32_gemm_4x8_scatter).
// 4x8 is the largest tile V8 keeps in registers: 8 accumulators, 2 B vectors and 4 A
// broadcasts fill the 15 xmm registers it allocates (6x8 and 4x12 measured slower: they spill).

/** Start from C's values (else from zero). */
export const INIT_LOAD_C: i32 = 1;

// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * C[0:mc, 0:8] for a column of mc rows: the microkernel over every 4-row panel of a packed A block
 * (panels kc*4 floats apart, as packA_4 lays them out), against one B strip, C and rowBias
 * advancing 4 rows a panel. SIMD builds run f32_gemm_4x8__wasmsimd, where with relaxed SIMD
 * (the 'relaxed' build) each step is one f32x4.relaxed_madd, which may fuse.
 */
export function f32_gemm_4x8(
  mc: i32, indirect: bool,
  kc: i32, a: usize, b: usize, taps: usize, c: usize, strideC: usize, flags: i32, rowBias: usize, colBias: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    if (indirect) columnIndirectSimd(mc, kc, a, b, taps, c, strideC, flags, rowBias, colBias);
    else columnPackedSimd(mc, kc, a, b, c, strideC, flags, rowBias, colBias);
  } else {
    const panelBytes = <usize>kc << 4;
    for (let i = 0; i < mc; i += 4) {
      f32_gemm_4x8__scalar(min(4, mc - i), indirect, kc, a, b, taps, c, strideC, flags, rowBias, colBias);
      a += panelBytes;
      c += strideC << 2;
      if (rowBias != 0) rowBias += 16;
    }
  }
}

/**
 * Like f32_gemm_4x8, but row i of the product (i < mc) is added to the 8 floats at c + rowTargets[i]
 * (i32 byte offsets), row after row, so that targets may overlap. SIMD builds only.
 */
export function f32_gemm_4x8_scatter(mc: i32, indirect: bool, kc: i32, a: usize, b: usize, taps: usize, c: usize, rowTargets: usize): void {
  if (indirect) columnIndirectScatterSimd(mc, kc, a, b, taps, c, rowTargets);
  else columnPackedScatterSimd(mc, kc, a, b, c, rowTargets);
}

// Separate functions rather than one with flags: inlined into one, the optimizer folds the
// copies back into a loop that tests the flag on every k step.
function columnPackedSimd(mc: i32, kc: i32, a: usize, b: usize, c: usize, strideC: usize, flags: i32, rowBias: usize, colBias: usize): void {
  columnSimd(false, false, mc, kc, a, b, 0, c, strideC, flags, rowBias, colBias);
}

function columnIndirectSimd(mc: i32, kc: i32, a: usize, b: usize, taps: usize, c: usize, strideC: usize, flags: i32, rowBias: usize, colBias: usize): void {
  columnSimd(true, false, mc, kc, a, b, taps, c, strideC, flags, rowBias, colBias);
}

function columnPackedScatterSimd(mc: i32, kc: i32, a: usize, b: usize, c: usize, rowTargets: usize): void {
  columnSimd(false, true, mc, kc, a, b, 0, c, rowTargets, 0, 0, 0);
}

function columnIndirectScatterSimd(mc: i32, kc: i32, a: usize, b: usize, taps: usize, c: usize, rowTargets: usize): void {
  columnSimd(true, true, mc, kc, a, b, taps, c, rowTargets, 0, 0, 0);
}

// With scatter, strideC is the row target table and advances by 4 entries a panel instead of c.
// @ts-ignore: decorator
@inline
function columnSimd(
  indirect: bool, scatter: bool, mc: i32,
  kc: i32, a: usize, b: usize, taps: usize, c: usize, strideC: usize, flags: i32, rowBias: usize, colBias: usize,
): void {
  const panelBytes = <usize>kc << 4;
  let i = 0;
  for (; i + 4 <= mc; i += 4) {
    f32_gemm_4x8__wasmsimd(4, indirect, scatter, kc, a, b, taps, c, strideC, flags, rowBias, colBias);
    a += panelBytes;
    if (scatter) strideC += 16;
    else c += strideC << 2;
    if (rowBias != 0) rowBias += 16;
  }
  const rest = mc - i;
  if (rest == 3) f32_gemm_4x8__wasmsimd(3, indirect, scatter, kc, a, b, taps, c, strideC, flags, rowBias, colBias);
  else if (rest == 2) f32_gemm_4x8__wasmsimd(2, indirect, scatter, kc, a, b, taps, c, strideC, flags, rowBias, colBias);
  else if (rest == 1) f32_gemm_4x8__wasmsimd(1, indirect, scatter, kc, a, b, taps, c, strideC, flags, rowBias, colBias);
}

// Inlined with constant rows, indirect and scatter, so that each call site above compiles to a
// kernel without the unused rows and without branches in its loop.
// @ts-ignore: decorator
@inline
function f32_gemm_4x8__wasmsimd(
  rows: i32, indirect: bool, scatter: bool,
  kc: i32, a: usize, b: usize, taps: usize, c: usize, strideC: usize, flags: i32, rowBias: usize, colBias: usize,
): void {
  const c1 = c + strideC;
  const c2 = c1 + strideC;
  const c3 = c2 + strideC;
  const vzero = f32x4.splat(0);
  let vacc0x0123 = vzero;
  let vacc0x4567 = vzero;
  let vacc1x0123 = vzero;
  let vacc1x4567 = vzero;
  let vacc2x0123 = vzero;
  let vacc2x4567 = vzero;
  let vacc3x0123 = vzero;
  let vacc3x4567 = vzero;
  if (flags & INIT_LOAD_C) {
    vacc0x0123 = v128.load(c);
    vacc0x4567 = v128.load(c, 16);
    if (rows > 1) {
      vacc1x0123 = v128.load(c1);
      vacc1x4567 = v128.load(c1, 16);
    }
    if (rows > 2) {
      vacc2x0123 = v128.load(c2);
      vacc2x4567 = v128.load(c2, 16);
    }
    if (rows > 3) {
      vacc3x0123 = v128.load(c3);
      vacc3x4567 = v128.load(c3, 16);
    }
  }
  if (rowBias != 0) {
    const vb0 = v128.load32_splat(rowBias);
    vacc0x0123 = f32x4.add(vacc0x0123, vb0);
    vacc0x4567 = f32x4.add(vacc0x4567, vb0);
    if (rows > 1) {
      const vb1 = v128.load32_splat(rowBias, 4);
      vacc1x0123 = f32x4.add(vacc1x0123, vb1);
      vacc1x4567 = f32x4.add(vacc1x4567, vb1);
    }
    if (rows > 2) {
      const vb2 = v128.load32_splat(rowBias, 8);
      vacc2x0123 = f32x4.add(vacc2x0123, vb2);
      vacc2x4567 = f32x4.add(vacc2x4567, vb2);
    }
    if (rows > 3) {
      const vb3 = v128.load32_splat(rowBias, 12);
      vacc3x0123 = f32x4.add(vacc3x0123, vb3);
      vacc3x4567 = f32x4.add(vacc3x4567, vb3);
    }
  }
  if (colBias != 0) {
    const vb0123 = v128.load(colBias);
    const vb4567 = v128.load(colBias, 16);
    vacc0x0123 = f32x4.add(vacc0x0123, vb0123);
    vacc0x4567 = f32x4.add(vacc0x4567, vb4567);
    vacc1x0123 = f32x4.add(vacc1x0123, vb0123);
    vacc1x4567 = f32x4.add(vacc1x4567, vb4567);
    vacc2x0123 = f32x4.add(vacc2x0123, vb0123);
    vacc2x4567 = f32x4.add(vacc2x4567, vb4567);
    vacc3x0123 = f32x4.add(vacc3x0123, vb0123);
    vacc3x4567 = f32x4.add(vacc3x4567, vb4567);
  }
  let ap = a;
  let bp = b;
  let tp = taps;
  let p = kc;
  do {
    let row = bp;
    if (indirect) {
      row = b + <usize>load<i32>(tp);
      tp += 4;
    }
    const vb0123 = v128.load(row);
    const vb4567 = v128.load(row, 16);
    const va0 = v128.load32_splat(ap);
    vacc0x0123 = madd(va0, vb0123, vacc0x0123);
    vacc0x4567 = madd(va0, vb4567, vacc0x4567);
    if (rows > 1) {
      const va1 = v128.load32_splat(ap, 4);
      vacc1x0123 = madd(va1, vb0123, vacc1x0123);
      vacc1x4567 = madd(va1, vb4567, vacc1x4567);
    }
    if (rows > 2) {
      const va2 = v128.load32_splat(ap, 8);
      vacc2x0123 = madd(va2, vb0123, vacc2x0123);
      vacc2x4567 = madd(va2, vb4567, vacc2x4567);
    }
    if (rows > 3) {
      const va3 = v128.load32_splat(ap, 12);
      vacc3x0123 = madd(va3, vb0123, vacc3x0123);
      vacc3x4567 = madd(va3, vb4567, vacc3x4567);
    }
    ap += 16;
    if (!indirect) bp += 32;
  } while (--p > 0);
  if (scatter) {
    // one row after the other: two rows may add into overlapping places
    addRow(c + <usize>load<i32>(strideC), vacc0x0123, vacc0x4567);
    if (rows > 1) addRow(c + <usize>load<i32>(strideC, 4), vacc1x0123, vacc1x4567);
    if (rows > 2) addRow(c + <usize>load<i32>(strideC, 8), vacc2x0123, vacc2x4567);
    if (rows > 3) addRow(c + <usize>load<i32>(strideC, 12), vacc3x0123, vacc3x4567);
    return;
  }
  v128.store(c, vacc0x0123);
  v128.store(c, vacc0x4567, 16);
  if (rows > 1) {
    v128.store(c1, vacc1x0123);
    v128.store(c1, vacc1x4567, 16);
  }
  if (rows > 2) {
    v128.store(c2, vacc2x0123);
    v128.store(c2, vacc2x4567, 16);
  }
  if (rows > 3) {
    v128.store(c3, vacc3x0123);
    v128.store(c3, vacc3x4567, 16);
  }
}

// @ts-ignore: decorator
@inline
function addRow(p: usize, v0123: v128, v4567: v128): void {
  v128.store(p, f32x4.add(v128.load(p), v0123));
  v128.store(p, f32x4.add(v128.load(p, 16), v4567), 16);
}

/**
 * f32_gemm_4x8__scalar: the scalar twin (same operands and flags), two columns at a time so that
 * the eight accumulators stay in registers.
 */
function f32_gemm_4x8__scalar(
  rows: i32, indirect: bool,
  kc: i32, a: usize, b: usize, taps: usize, c: usize, strideC: usize, flags: i32, rowBias: usize, colBias: usize,
): void {
  for (let j: usize = 0; j < 32; j += 8) {
    let acc0x0: f32 = 0, acc0x1: f32 = 0, acc1x0: f32 = 0, acc1x1: f32 = 0;
    let acc2x0: f32 = 0, acc2x1: f32 = 0, acc3x0: f32 = 0, acc3x1: f32 = 0;
    let ap = a;
    let bp = b + j;
    for (let p = 0; p < kc; p++) {
      let row = bp;
      if (indirect) {
        row = b + j + <usize>load<i32>(taps + (<usize>p << 2));
      } else {
        bp += 32;
      }
      const b0 = load<f32>(row);
      const b1 = load<f32>(row, 4);
      const a0 = load<f32>(ap);
      const a1 = load<f32>(ap, 4);
      const a2 = load<f32>(ap, 8);
      const a3 = load<f32>(ap, 12);
      acc0x0 += a0 * b0; acc0x1 += a0 * b1;
      acc1x0 += a1 * b0; acc1x1 += a1 * b1;
      acc2x0 += a2 * b0; acc2x1 += a2 * b1;
      acc3x0 += a3 * b0; acc3x1 += a3 * b1;
      ap += 16;
    }
    const cb = colBias != 0 ? colBias + j : 0;
    scalarStore2(c + j, acc0x0, acc0x1, flags, rowBias, cb);
    if (rows > 1) scalarStore2(c + strideC + j, acc1x0, acc1x1, flags, rowBias != 0 ? rowBias + 4 : 0, cb);
    if (rows > 2) scalarStore2(c + 2 * strideC + j, acc2x0, acc2x1, flags, rowBias != 0 ? rowBias + 8 : 0, cb);
    if (rows > 3) scalarStore2(c + 3 * strideC + j, acc3x0, acc3x1, flags, rowBias != 0 ? rowBias + 12 : 0, cb);
  }
}

// c[0:2] = init + (v0, v1)
function scalarStore2(c: usize, v0: f32, v1: f32, flags: i32, rowBias: usize, colBias: usize): void {
  let i0: f32 = 0;
  let i1: f32 = 0;
  if (flags & INIT_LOAD_C) {
    i0 = load<f32>(c);
    i1 = load<f32>(c, 4);
  }
  if (rowBias != 0) {
    const rb = load<f32>(rowBias);
    i0 += rb;
    i1 += rb;
  }
  if (colBias != 0) {
    i0 += load<f32>(colBias);
    i1 += load<f32>(colBias, 4);
  }
  store<f32>(c, i0 + v0);
  store<f32>(c, i1 + v1, 4);
}
