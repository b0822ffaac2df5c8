// C[M,N] = A[M,K] * B[K,N] (+ bias), blocked the BLIS way around one 4x8 microkernel
// (gemm-4x8.ts): for each NC-column block and KC-deep block of B, pack that block into
// 8-column strips; for each MC-row block of A, pack it into 4-row panels; then run the
// microkernel down every strip, panel after panel, the strip staying in L1 while the panels
// stream from L2. With at most 4 rows there is one panel and B would be used once, so strips
// whose columns are consecutive are read in place instead (Dense layers at batch 1,
// convolutions to 1..4 channels). Biases and the initial value of C are folded into the first
// K block, so C is written once per K block and never swept separately. A last strip with
// fewer than 8 columns runs on a 4x8 tile buffer and copies the valid part out.
//
// B is addressed through two offset tables, so that a convolution can hand over its image as
// B without building the column matrix (implicit im2col), and C can be too, product elements
// then being added to their places (the backward pass's col2im, fused): f32-conv2d/conv2d.ts.
//
// Static scratch: packed A (MC*KC floats, 160 KiB), packed B (KC*NC floats and 4 KiB of gaps,
// 644 KiB), row and column offset tables (KC + NC i32s, 3.3 KiB), a 4x8 tile and a padded column
// bias (160 bytes).

import { packA_4, packB_8, packedStripBytes, stripIsPacked, usePackTables, PACK_TABLE_BYTES } from './pack';
import { f32_gemm_4x8, f32_gemm_4x8_scatter, INIT_LOAD_C } from './gemm-4x8';

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 320;
const MC: i32 = 128;
const NC: i32 = 512;
const PACKED_A_BYTES: usize = MC * KC * 4;
const PACKED_B_BYTES: usize = (KC * 32 + 64) * (NC / NR); // packedStripBytes(KC) per strip
const ROW_OFFSETS_BYTES: usize = KC * 4;
const COL_OFFSETS_BYTES: usize = NC * 4;
const TILE_BYTES: usize = MR * NR * 4;
const TILE_COL_BIAS_BYTES: usize = NR * 4;
// Globals, not constants: they are per instance, so that a second thread's instance on the same
// shared memory can point them at its own region (f32_use_scratch).
let packedA: usize = memory.data(<i32>PACKED_A_BYTES, 16);
let packedB: usize = memory.data(<i32>PACKED_B_BYTES, 16);
let rowOffsets: usize = memory.data(<i32>ROW_OFFSETS_BYTES, 16);
let colOffsets: usize = memory.data(<i32>COL_OFFSETS_BYTES, 16);
let tile: usize = memory.data(<i32>TILE_BYTES, 16);
let tileColBias: usize = memory.data(<i32>TILE_COL_BIAS_BYTES, 16);

/** Bytes of the GEMM's scratch (packed panels, offset tables, tile, pack tables), for f32_use_scratch. */
export function f32_gemm_scratch_bytes(): i32 {
  return <i32>(PACKED_A_BYTES + PACKED_B_BYTES + ROW_OFFSETS_BYTES + COL_OFFSETS_BYTES + TILE_BYTES + TILE_COL_BIAS_BYTES + PACK_TABLE_BYTES);
}

/**
 * Points this instance's GEMM scratch at base (f32_gemm_scratch_bytes bytes, 16-byte aligned)
 * instead of its static data: a second thread's instance on the same shared memory calls it so
 * that the two never share packed panels.
 */
export function f32_use_scratch(base: usize): void {
  packedA = base;
  packedB = packedA + PACKED_A_BYTES;
  rowOffsets = packedB + PACKED_B_BYTES;
  colOffsets = rowOffsets + ROW_OFFSETS_BYTES;
  tile = colOffsets + COL_OFFSETS_BYTES;
  tileColBias = tile + TILE_BYTES;
  usePackTables(tileColBias + TILE_COL_BIAS_BYTES);
}

/**
 * f32_gemm: C = op(A) * B, plus biasRow[i] (if biasRow != 0) and biasCol[j] (if biasCol != 0);
 * with accumulate != 0, C is added to instead of overwritten. op(A) (m, k) is A stored row-major
 * (m, k), or with transA != 0 stored (k, m); B (k, n) and C (m, n) are row-major. Leading
 * dimensions lda, ldb, ldc are in elements; pointers are byte addresses of f32 arrays, any alignment.
 */
export function f32_gemm(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, transA: i32,
  b: usize, ldb: i32,
  c: usize, ldc: i32,
  biasRow: usize, biasCol: usize, accumulate: i32,
): void {
  gemm(m, n, k, a, lda, transA != 0, b, ldb, 0, 0, c, ldc, 0, 0, biasRow, biasCol, accumulate);
}

/**
 * The driver behind f32_gemm and the convolutions. Element (p, j) of B is at b + taps[p] + cols[j]
 * when taps and cols are nonzero (tables of k and n i32 byte offsets; ldb is then unused), else
 * at b + (p*ldb + j)*4. A and C as in f32_gemm, except when cCols != 0: then each element (i, j)
 * of the product is added to the f32 at c + cRows[i] + cCols[j] (tables of m and n i32 byte
 * offsets; ldc, biases and accumulate unused), one row after the other, so that the targets of
 * different elements may coincide: the col2im of a convolution's backward pass, fused.
 * With aPacked, a is all of op(A) packed once for every call (lda and transA unused): K block by
 * K block (kBlockDepth), each holding all of A's rows in the 4-row panels of packA_4 (rows past m
 * zero), so that rows ic.. of the block from depth pc start at float pc*roundUp4(m) + ic*kc.
 */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, transA: bool,
  b: usize, ldb: i32, taps: usize, cols: usize,
  c: usize, ldc: i32, cRows: usize, cCols: usize,
  biasRow: usize, biasCol: usize, accumulate: i32,
  aPacked: bool = false,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (cCols == 0) initOutput(m, n, c, ldc, biasRow, biasCol, accumulate);
    return;
  }
  const rowStrideA: usize = transA ? 4 : <usize>lda << 2;
  const colStrideA: usize = transA ? <usize>lda << 2 : 4;
  const strideC = <usize>ldc << 2;
  const kcMax = kBlockDepth(k);
  const m4 = (<usize>m + 3) & ~3;
  // When all of A fits one packed block it is packed once, not once per column block.
  const packAOnce = m <= MC && k <= KC;
  const inPlace = m <= MR;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    let blockCols = cols + (<usize>jc << 2);
    if (cols == 0) {
      blockCols = colOffsets;
      for (let j = 0; j < nc; j++) store<i32>(colOffsets + (<usize>j << 2), (jc + j) << 2);
    }
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = min(kcMax, k - pc);
      let blockB = b;
      let blockTaps = taps + (<usize>pc << 2);
      if (taps == 0) {
        blockB += <usize>pc * <usize>ldb << 2;
        blockTaps = rowOffsets;
        for (let p = 0; p < kc; p++) store<i32>(rowOffsets + (<usize>p << 2), p * ldb << 2);
      }
      packB_8(kc, nc, blockB, blockTaps, blockCols, inPlace, packedB);
      const flags = pc > 0 || accumulate != 0 ? INIT_LOAD_C : 0;
      const first = pc == 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        let aBlock = packedA;
        if (aPacked) aBlock = a + ((<usize>pc * m4 + <usize>ic * <usize>kc) << 2);
        else if (!packAOnce || jc == 0) packA_4(mc, kc, a + <usize>ic * rowStrideA + <usize>pc * colStrideA, rowStrideA, colStrideA, packedA);
        const cBlock = c + <usize>ic * strideC;
        const rowBias = first && biasRow != 0 ? biasRow + (<usize>ic << 2) : 0;
        for (let jr = 0; jr < nc; jr += NR) {
          const q0 = jc + jr;
          const colBias = first && biasCol != 0 ? biasCol + (<usize>q0 << 2) : 0;
          const columns = min(NR, nc - jr);
          if (cCols != 0) {
            const indirect = inPlace && columns == NR && !stripIsPacked(jr >> 3);
            const bStrip = indirect
              ? blockB + <usize>load<i32>(blockCols + (<usize>jr << 2))
              : packedB + <usize>(jr >> 3) * packedStripBytes(kc);
            scatterAddColumn(mc, columns, indirect, kc, aBlock, bStrip, blockTaps, c, cRows + (<usize>ic << 2), cCols + (<usize>q0 << 2));
          } else if (columns == NR) {
            const indirect = inPlace && !stripIsPacked(jr >> 3);
            const bStrip = indirect
              ? blockB + <usize>load<i32>(blockCols + (<usize>jr << 2))
              : packedB + <usize>(jr >> 3) * packedStripBytes(kc);
            f32_gemm_4x8(mc, indirect, kc, aBlock, bStrip, blockTaps, cBlock + (<usize>q0 << 2), strideC, flags, rowBias, colBias);
          } else {
            narrowColumn(mc, columns, kc, aBlock, packedB + <usize>(jr >> 3) * packedStripBytes(kc), cBlock + (<usize>q0 << 2), strideC, flags, rowBias, colBias);
          }
        }
      }
    }
  }
}

/** f32_gemm's K block depth for a product of depth k (kBlockDepth), for callers that feed B block by block. */
export function f32_gemm_k_block(k: i32): i32 {
  return kBlockDepth(k);
}

/** The depth of the GEMM's K blocks for a product of depth k: equal blocks, so that none is a thin remainder. */
export function kBlockDepth(k: i32): i32 {
  const kBlocks = (k + KC - 1) / KC;
  return (k + kBlocks - 1) / kBlocks;
}

// Fewer than 8 columns (the strip is packed, zero past the last column): the microkernel runs on
// the tile buffer panel by panel and the valid part is copied out.
function narrowColumn(
  mc: i32, columns: i32, kc: i32, aBlock: usize, bStrip: usize,
  c: usize, strideC: usize, flags: i32, rowBias: usize, colBias: usize,
): void {
  if (colBias != 0) {
    for (let j = 0; j < NR; j++) store<f32>(tileColBias + (<usize>j << 2), j < columns ? load<f32>(colBias + (<usize>j << 2)) : 0);
  }
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const cPanel = c + <usize>i * strideC;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < NR; j++) {
        const at = cPanel + <usize>r * strideC + (<usize>j << 2);
        store<f32>(tile + (<usize>(r * NR + j) << 2), j < columns && (flags & INIT_LOAD_C) ? load<f32>(at) : 0);
      }
    }
    const aPanel = aBlock + ((<usize>i * <usize>kc) << 2);
    const panelBias = rowBias != 0 ? rowBias + (<usize>i << 2) : 0;
    f32_gemm_4x8(rows, false, kc, aPanel, bStrip, 0, tile, NR << 2, INIT_LOAD_C, panelBias, colBias != 0 ? tileColBias : 0);
    for (let r = 0; r < rows; r++) {
      memory.copy(cPanel + <usize>r * strideC, tile + (<usize>(r * NR) << 2), <usize>columns << 2);
    }
  }
}

// Scatter-add mode. Strips whose targets are consecutive add straight from the accumulators
// (SIMD builds); the rest go through the tile buffer.
function scatterAddColumn(
  mc: i32, columns: i32, indirect: bool, kc: i32, aBlock: usize, bStrip: usize, taps: usize,
  c: usize, cRows: usize, cCols: usize,
): void {
  const first = load<i32>(cCols);
  const consecutive = columns == NR && load<i32>(cCols, (NR - 1) << 2) - first == (NR - 1) << 2;
  if (ASC_FEATURE_SIMD && consecutive) {
    f32_gemm_4x8_scatter(mc, indirect, kc, aBlock, bStrip, taps, c + <usize>first, cRows);
    return;
  }
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    f32_gemm_4x8(rows, indirect, kc, aBlock + ((<usize>i * <usize>kc) << 2), bStrip, taps, tile, NR << 2, 0, 0, 0);
    for (let r = 0; r < rows; r++) {
      const row = c + <usize>load<i32>(cRows + (<usize>(i + r) << 2));
      const t = tile + (<usize>(r * NR) << 2);
      for (let j = 0; j < columns; j++) {
        const p = row + <usize>load<i32>(cCols + (<usize>j << 2));
        store<f32>(p, load<f32>(p) + load<f32>(t + (<usize>j << 2)));
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
