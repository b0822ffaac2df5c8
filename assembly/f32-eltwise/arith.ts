/** f32_add: out = a + b. */
export function f32_add(count: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** f32_mul: out = a * b. */
export function f32_mul(count: i32, a: usize, b: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** f32_scale: out = a * s. */
export function f32_scale(count: i32, a: usize, s: f32, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(s);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(v128.load(a + o), vs));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * s);
  }
}
