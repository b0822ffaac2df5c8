import { exp_f32x4, exp_f32 } from './exp';

/** f32_sigmoid: y = 1 / (1 + exp(-x)). */
export function f32_sigmoid(count: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.div(vone, f32x4.add(vone, exp_f32x4(f32x4.neg(v128.load(x + o))))));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, 1 / (1 + exp_f32(-load<f32>(x + o))));
  }
}

/** f32_tanh: y = 1 - 2 / (exp(2x) + 1). */
export function f32_tanh(count: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    const vtwo = f32x4.splat(2);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const e = exp_f32x4(f32x4.mul(vtwo, v128.load(x + o)));
      v128.store(y + o, f32x4.sub(vone, f32x4.div(vtwo, f32x4.add(e, vone))));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, 1 - 2 / (exp_f32(2 * load<f32>(x + o)) + 1));
  }
}

/** f32_sigmoid_backward: out = r * a * (1 - a), with a the sigmoid's output. */
export function f32_sigmoid_backward(count: i32, r: usize, a: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const va = v128.load(a + o);
      v128.store(out + o, f32x4.mul(v128.load(r + o), f32x4.mul(va, f32x4.sub(vone, va))));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const va = load<f32>(a + o);
    store<f32>(out + o, load<f32>(r + o) * (va * (1 - va)));
  }
}

/** f32_tanh_backward: out = r * (1 - a^2), with a the tanh's output. */
export function f32_tanh_backward(count: i32, r: usize, a: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const va = v128.load(a + o);
      v128.store(out + o, f32x4.mul(v128.load(r + o), f32x4.sub(vone, f32x4.mul(va, va))));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const va = load<f32>(a + o);
    store<f32>(out + o, load<f32>(r + o) * (1 - va * va));
  }
}
