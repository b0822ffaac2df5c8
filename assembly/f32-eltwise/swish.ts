import { exp_f32x4, exp_f32 } from './exp';

/** f32_swish: y = x * sigmoid(x) = x / (1 + exp(-x)) (Keras swish / silu). */
export function f32_swish(count: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vx = v128.load(x + o);
      v128.store(y + o, f32x4.div(vx, f32x4.add(vone, exp_f32x4(f32x4.neg(vx)))));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v / (1 + exp_f32(-v)));
  }
}

/** f32_swish_backward: out = r * s * (1 + z * (1 - s)), s = sigmoid(z): the derivative of z * sigmoid(z). */
export function f32_swish_backward(count: i32, r: usize, z: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vz = v128.load(z + o);
      const s = f32x4.div(vone, f32x4.add(vone, exp_f32x4(f32x4.neg(vz))));
      const d = f32x4.mul(s, f32x4.add(vone, f32x4.mul(vz, f32x4.sub(vone, s))));
      v128.store(out + o, f32x4.mul(v128.load(r + o), d));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const vz = load<f32>(z + o);
    const s: f32 = 1 / (1 + exp_f32(-vz));
    store<f32>(out + o, load<f32>(r + o) * (s * (1 + vz * (1 - s))));
  }
}

const SIXTH: f32 = 1.0 / 6.0;
const THIRD: f32 = 1.0 / 3.0;

/** f32_hard_swish: y = x * min(max(x + 3, 0), 6) / 6 (Keras hard_swish / hard_silu, PyTorch hardswish). */
export function f32_hard_swish(count: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vzero = f32x4.splat(0);
    const vthree = f32x4.splat(3);
    const vsix = f32x4.splat(6);
    const vsixth = f32x4.splat(SIXTH);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vx = v128.load(x + o);
      const gate = f32x4.min(f32x4.max(f32x4.add(vx, vthree), vzero), vsix);
      v128.store(y + o, f32x4.mul(f32x4.mul(vx, gate), vsixth));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const g = v + 3;
    store<f32>(y + o, v * (g > 0 ? (g < 6 ? g : 6) : 0) * SIXTH);
  }
}

/**
 * f32_hard_swish_backward: out = r * d(z), d = 0 below -3, z/3 + 1/2 on [-3, 3], 1 above 3
 * (PyTorch's hardswish_backward, boundaries included).
 */
export function f32_hard_swish_backward(count: i32, r: usize, z: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    const vhalf = f32x4.splat(0.5);
    const vthird = f32x4.splat(THIRD);
    const vthree = f32x4.splat(3);
    const vminus3 = f32x4.splat(-3);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vz = v128.load(z + o);
      let d = v128.bitselect(vone, f32x4.add(f32x4.mul(vz, vthird), vhalf), f32x4.gt(vz, vthree));
      d = v128.andnot(d, f32x4.lt(vz, vminus3));
      v128.store(out + o, f32x4.mul(v128.load(r + o), d));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const vz = load<f32>(z + o);
    const d: f32 = vz < -3 ? 0 : vz <= 3 ? vz * THIRD + 0.5 : 1;
    store<f32>(out + o, load<f32>(r + o) * d);
  }
}
