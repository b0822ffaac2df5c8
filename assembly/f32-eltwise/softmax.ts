import { exp_f32x4, exp_f32 } from './exp';

/** f32_softmax: row-wise softmax of x (rows, cols) into y, with the row max subtracted first. */
export function f32_softmax(rows: i32, cols: i32, x: usize, y: usize): void {
  for (let row = 0; row < rows; row++) {
    const xr = x + ((<usize>row * <usize>cols) << 2);
    const yr = y + ((<usize>row * <usize>cols) << 2);
    let maxValue = load<f32>(xr);
    for (let j = 1; j < cols; j++) maxValue = max(maxValue, load<f32>(xr + (<usize>j << 2)));
    let sum: f32 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vmax = f32x4.splat(maxValue);
      let vsum = f32x4.splat(0);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        const e = exp_f32x4(f32x4.sub(v128.load(xr + o), vmax));
        v128.store(yr + o, e);
        vsum = f32x4.add(vsum, e);
      }
      sum = f32x4.extract_lane(vsum, 0) + f32x4.extract_lane(vsum, 1) + f32x4.extract_lane(vsum, 2) + f32x4.extract_lane(vsum, 3);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const e = exp_f32(load<f32>(xr + o) - maxValue);
      store<f32>(yr + o, e);
      sum += e;
    }
    for (let k = 0; k < cols; k++) {
      const o = <usize>k << 2;
      store<f32>(yr + o, load<f32>(yr + o) / sum);
    }
  }
}
