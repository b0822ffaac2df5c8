const TILE: i32 = 16;

/** f32_transpose: dst (cols, rows) = src (rows, cols)^T, in square tiles to keep both sides in cache. */
export function f32_transpose(rows: i32, cols: i32, src: usize, dst: usize): void {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = min(rows, i0 + TILE);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = min(cols, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          store<f32>(dst + ((<usize>j * <usize>rows + <usize>i) << 2), load<f32>(src + ((<usize>i * <usize>cols + <usize>j) << 2)));
        }
      }
    }
  }
}
