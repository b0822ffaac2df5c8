// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * f32_adam: one Keras 2 Adam step on count weights, in place: m += (g - m) * (1 - beta1);
 * v += (g*g - v) * (1 - beta2); w -= alpha * m / (sqrt(v) + epsilon), alpha the step's
 * bias-corrected rate. In float32, as Keras keeps its variables.
 */
export function f32_adam(count: i32, w: usize, g: usize, m: usize, v: usize, alpha: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, epsilon: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(oneMinusBeta1);
    const vb2 = f32x4.splat(oneMinusBeta2);
    const valpha = f32x4.splat(alpha);
    const veps = f32x4.splat(epsilon);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vg = v128.load(g + o);
      let vm = v128.load(m + o);
      let vv = v128.load(v + o);
      vm = madd(f32x4.sub(vg, vm), vb1, vm);
      vv = madd(f32x4.sub(f32x4.mul(vg, vg), vv), vb2, vv);
      v128.store(m + o, vm);
      v128.store(v + o, vv);
      const step = f32x4.div(f32x4.mul(valpha, vm), f32x4.add(f32x4.sqrt(vv), veps));
      v128.store(w + o, f32x4.sub(v128.load(w + o), step));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = load<f32>(m + o) + (gi - load<f32>(m + o)) * oneMinusBeta1;
    const vi = load<f32>(v + o) + (gi * gi - load<f32>(v + o)) * oneMinusBeta2;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, load<f32>(w + o) - (alpha * mi) / (sqrt<f32>(vi) + epsilon));
  }
}
