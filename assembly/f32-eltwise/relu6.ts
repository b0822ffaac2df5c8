import { RULE_SALINET, RULE_DECONVNET } from './relu';

/** f32_relu6: y = min(max(x, 0), 6) over count values. */
export function f32_relu6(count: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vzero = f32x4.splat(0);
    const vsix = f32x4.splat(6);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.min(f32x4.max(v128.load(x + o), vzero), vsix));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? (v < 6 ? v : 6) : 0);
  }
}

/**
 * f32_relu6_backward: maps a backward signal r through a ReLU6 whose pre-activation was z.
 * The derivative is [0 < z < 6]. rule 0 (SaliNet): r*[0<z<6]; 1 (DeconvNet): max(r,0);
 * 2 (DeSaliNet / guided): max(r,0)*[0<z<6].
 */
export function f32_relu6_backward(rule: i32, count: i32, r: usize, z: usize, out: usize): void {
  const clampSignal = rule != RULE_SALINET;
  const maskByInput = rule != RULE_DECONVNET;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vzero = f32x4.splat(0);
    const vsix = f32x4.splat(6);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      let v = v128.load(r + o);
      if (clampSignal) v = f32x4.max(v, vzero);
      if (maskByInput) {
        const vz = v128.load(z + o);
        v = v128.and(v, v128.and(f32x4.gt(vz, vzero), f32x4.lt(vz, vsix)));
      }
      v128.store(out + o, v);
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    let v = load<f32>(r + o);
    if (clampSignal && !(v > 0)) v = 0;
    if (maskByInput) {
      const vz = load<f32>(z + o);
      if (!(vz > 0 && vz < 6)) v = 0;
    }
    store<f32>(out + o, v);
  }
}
