// Packing for the 4x8 microkernels (gemm-4x8.ts): blocks of A and B are copied into the order
// the microkernel reads them, so that it walks both with one pointer each and no strides.

/**
 * packA 4-row panels: dst[panel i/4][p][r] = A[i + r, p] for i < mc (rows past mc are 0), p < kc.
 * Element (i, p) of A is at a + i*rowStride + p*colStride (bytes): row-major A has colStride 4,
 * a transposed one (stored (k, m)) rowStride 4. dst holds ceil(mc/4) panels of kc*4 floats.
 */
export function packA_4(mc: i32, kc: i32, a: usize, rowStride: usize, colStride: usize, dst: usize): void {
  for (let i = 0; i < mc; i += 4) {
    const rows = min(4, mc - i);
    const a0 = a + <usize>i * rowStride;
    let p = 0;
    if (ASC_FEATURE_SIMD && rows == 4 && rowStride == 4) {
      // the four rows of one k step are side by side already
      let src = a0;
      for (; p < kc; p++) {
        v128.store(dst, v128.load(src));
        src += colStride;
        dst += 16;
      }
    } else if (ASC_FEATURE_SIMD && rows == 4 && colStride == 4) {
      const a1 = a0 + rowStride;
      const a2 = a1 + rowStride;
      const a3 = a2 + rowStride;
      // 4x4 transposes: four k steps of the four rows at a time
      for (; p + 4 <= kc; p += 4) {
        const off = <usize>p << 2;
        const r0 = v128.load(a0 + off);
        const r1 = v128.load(a1 + off);
        const r2 = v128.load(a2 + off);
        const r3 = v128.load(a3 + off);
        transpose4(r0, r1, r2, r3, dst, 16);
        dst += 64;
      }
    }
    if (rows < 4) {
      // a last panel of 1..3 rows: zero it, then fill row by row
      memory.fill(dst, 0, <usize>kc << 4);
      for (let r = 0; r < rows; r++) {
        let src = a0 + <usize>r * rowStride;
        let d = dst + (<usize>r << 2);
        for (let q = 0; q < kc; q++) {
          store<f32>(d, load<f32>(src));
          src += colStride;
          d += 16;
        }
      }
      dst += <usize>kc << 4;
      continue;
    }
    for (; p < kc; p++) {
      const src = a0 + <usize>p * colStride;
      store<f32>(dst, load<f32>(src));
      store<f32>(dst, load<f32>(src + rowStride), 4);
      store<f32>(dst, load<f32>(src + 2 * rowStride), 8);
      store<f32>(dst, load<f32>(src + 3 * rowStride), 12);
      dst += 16;
    }
  }
}

/**
 * Bytes from one packed B strip of depth kc to the next: kc*32 and a 64-byte gap, so that strips
 * are not a multiple of 2 KiB apart. packB_8 writes one row of every strip in turn, and strips
 * 2 or 4 KiB apart (kc = 64, 128) would all fall into the same L1 set.
 */
// @ts-ignore: decorator
@inline
export function packedStripBytes(kc: i32): usize {
  return (<usize>kc << 5) + 64;
}

// How packB_8 sees the strips of the block it packs (at most 64 strips): runs of strips whose
// columns are consecutive and continue one another (copied as one row segment per k step), the
// strips that need a gather, and per strip whether it was packed at all (see onlyGathered).
// Static scratch: 4 tables of 64 i32s and 64 bytes (1.1 KiB).
const MAX_STRIPS: i32 = 64;
// Globals (per instance), so that another thread's instance can move them (usePackTables).
let runStart: usize = memory.data(MAX_STRIPS * 4, 16);
let runLength: usize = memory.data(MAX_STRIPS * 4, 16);
let runSource: usize = memory.data(MAX_STRIPS * 4, 16);
let gatheredStrips: usize = memory.data(MAX_STRIPS * 4, 16);
let stripPacked: usize = memory.data(MAX_STRIPS, 16);

/** Bytes of the tables above, for usePackTables. */
export const PACK_TABLE_BYTES: usize = MAX_STRIPS * 4 * 4 + MAX_STRIPS;

/** Moves this instance's pack tables to base (PACK_TABLE_BYTES bytes). */
export function usePackTables(base: usize): void {
  runStart = base;
  runLength = runStart + MAX_STRIPS * 4;
  runSource = runLength + MAX_STRIPS * 4;
  gatheredStrips = runSource + MAX_STRIPS * 4;
  stripPacked = gatheredStrips + MAX_STRIPS * 4;
}

/**
 * packB 8-column strips: dst[strip j/8][p][c] = B[p, j + c] for j + c < nc (0 past nc), p < kc,
 * nc <= 512, strips packedStripBytes(kc) apart. Element (p, j) of B is at b + taps[p] + cols[j]
 * (i32 byte offsets). Strips whose eight offsets are consecutive are copied with vector loads,
 * a run of them continuing one another as one segment of each row; any other strip is gathered
 * element by element. With onlyGathered, strips that are full and consecutive are skipped (they
 * are read in place). Rows are walked in the outer loop, so B is read along its rows.
 */
export function packB_8(kc: i32, nc: i32, b: usize, taps: usize, cols: usize, onlyGathered: bool, dst: usize): void {
  const strips = (nc + 7) >> 3;
  let runs = 0;
  let gathered = 0;
  // a last strip of fewer than 8 consecutive columns: copied, then zero-filled
  let shortStrip = -1;
  let shortSource = 0;
  const shortCount = nc & 7;
  for (let s = 0; s < strips; s++) {
    const colsS = cols + (<usize>s << 5);
    const first = load<i32>(colsS);
    const full = (s << 3) + 8 <= nc;
    const consecutive = full && load<i32>(colsS, 28) - first == 28;
    store<u8>(stripPacked + <usize>s, consecutive && onlyGathered ? 0 : 1);
    if (!full && load<i32>(colsS + (<usize>(shortCount - 1) << 2)) - first == (shortCount - 1) << 2) {
      shortStrip = s;
      shortSource = first;
    } else if (!consecutive) {
      store<i32>(gatheredStrips + (<usize>gathered << 2), s);
      gathered++;
    } else if (!onlyGathered) {
      const last = <usize>(runs - 1) << 2;
      if (runs > 0 && load<i32>(runStart + last) + load<i32>(runLength + last) == s
        && load<i32>(runSource + last) + (load<i32>(runLength + last) << 5) == first) {
        store<i32>(runLength + last, load<i32>(runLength + last) + 1);
      } else {
        store<i32>(runStart + (<usize>runs << 2), s);
        store<i32>(runLength + (<usize>runs << 2), 1);
        store<i32>(runSource + (<usize>runs << 2), first);
        runs++;
      }
    }
  }
  if (runs == 0 && gathered == 0 && shortStrip < 0) return;
  const stride = packedStripBytes(kc);
  for (let p = 0; p < kc;) {
    // four rows that follow one another in memory (a transposed B, as a conv's filter gradient
    // reads its image) have their gathered strips read a vector per column and transposed
    const rows = ASC_FEATURE_SIMD && gathered > 0 && p + 4 <= kc && rowsFollow(taps + (<usize>p << 2)) ? 4 : 1;
    for (let q = p; q < p + rows; q++) {
      const row = b + <usize>load<i32>(taps + (<usize>q << 2));
      const dRow = dst + (<usize>q << 5);
      for (let r = 0; r < runs; r++) {
        const at = <usize>r << 2;
        let src = row + <usize>load<i32>(runSource + at);
        let d = dRow + <usize>load<i32>(runStart + at) * stride;
        for (let count = load<i32>(runLength + at); count > 0; count--) {
          if (ASC_FEATURE_SIMD) {
            v128.store(d, v128.load(src));
            v128.store(d, v128.load(src, 16), 16);
          } else {
            memory.copy(d, src, 32);
          }
          src += 32;
          d += stride;
        }
      }
      if (shortStrip >= 0) {
        const src = row + <usize>shortSource;
        const d = dRow + <usize>shortStrip * stride;
        for (let c = 0; c < 8; c++) store<f32>(d + (<usize>c << 2), c < shortCount ? load<f32>(src + (<usize>c << 2)) : 0);
      }
    }
    for (let g = 0; g < gathered; g++) {
      const s = load<i32>(gatheredStrips + (<usize>g << 2));
      const colsS = cols + (<usize>s << 5);
      const count = min(8, nc - (s << 3));
      const d = dst + (<usize>p << 5) + <usize>s * stride;
      if (ASC_FEATURE_SIMD && rows == 4 && count == 8) {
        gather4x8(b + <usize>load<i32>(taps + (<usize>p << 2)), colsS, d);
        continue;
      }
      for (let q = 0; q < rows; q++) {
        const row = b + <usize>load<i32>(taps + (<usize>(p + q) << 2));
        const dq = d + (<usize>q << 5);
        for (let c = 0; c < 8; c++) {
          store<f32>(dq + (<usize>c << 2), c < count ? load<f32>(row + <usize>load<i32>(colsS + (<usize>c << 2))) : 0);
        }
      }
    }
    p += rows;
  }
}

// Whether the four row offsets at t are consecutive floats.
// @ts-ignore: decorator
@inline
function rowsFollow(t: usize): bool {
  const t0 = load<i32>(t);
  return load<i32>(t, 4) - t0 == 4 && load<i32>(t, 8) - t0 == 8 && load<i32>(t, 12) - t0 == 12;
}

// Four consecutive rows of one 8-column strip: the four values of column c are one vector at
// row0 + cols[c]; 4x4 transposes turn the eight column vectors into the rows' two halves.
// @ts-ignore: decorator
@inline
function gather4x8(row0: usize, cols: usize, d: usize): void {
  transpose4(
    v128.load(row0 + <usize>load<i32>(cols)), v128.load(row0 + <usize>load<i32>(cols, 4)),
    v128.load(row0 + <usize>load<i32>(cols, 8)), v128.load(row0 + <usize>load<i32>(cols, 12)), d, 32,
  );
  transpose4(
    v128.load(row0 + <usize>load<i32>(cols, 16)), v128.load(row0 + <usize>load<i32>(cols, 20)),
    v128.load(row0 + <usize>load<i32>(cols, 24)), v128.load(row0 + <usize>load<i32>(cols, 28)), d + 16, 32,
  );
}

// Stores the transpose of the 4x4 block whose columns are c0..c3 as four rows `rowBytes` apart.
// @ts-ignore: decorator
@inline
function transpose4(c0: v128, c1: v128, c2: v128, c3: v128, d: usize, rowBytes: usize): void {
  const t01lo = v128.shuffle<f32>(c0, c1, 0, 4, 1, 5);
  const t23lo = v128.shuffle<f32>(c2, c3, 0, 4, 1, 5);
  const t01hi = v128.shuffle<f32>(c0, c1, 2, 6, 3, 7);
  const t23hi = v128.shuffle<f32>(c2, c3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(t01lo, t23lo, 0, 1, 4, 5));
  v128.store(d + rowBytes, v128.shuffle<f32>(t01lo, t23lo, 2, 3, 6, 7));
  v128.store(d + 2 * rowBytes, v128.shuffle<f32>(t01hi, t23hi, 0, 1, 4, 5));
  v128.store(d + 3 * rowBytes, v128.shuffle<f32>(t01hi, t23hi, 2, 3, 6, 7));
}

/** Whether strip s of the block packB_8 last packed is in dst (else, with onlyGathered, it is read in place). */
export function stripIsPacked(s: i32): bool {
  return load<u8>(stripPacked + <usize>s) != 0;
}
