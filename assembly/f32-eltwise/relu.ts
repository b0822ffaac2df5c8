/** f32_relu: y = max(x, 0) over count values. */
export function f32_relu(count: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vzero = f32x4.splat(0);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.max(v128.load(x + o), vzero));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : 0);
  }
}

export const RULE_SALINET: i32 = 0;
export const RULE_DECONVNET: i32 = 1;
export const RULE_GUIDED: i32 = 2;

/**
 * f32_relu_backward: maps a backward signal r through a ReLU whose pre-activation was z.
 * rule 0 (SaliNet, the gradient): r*[z>0]; 1 (DeconvNet): max(r,0); 2 (DeSaliNet / guided): max(r,0)*[z>0].
 */
export function f32_relu_backward(rule: i32, count: i32, r: usize, z: usize, out: usize): void {
  const clampSignal = rule != RULE_SALINET;
  const maskByInput = rule != RULE_DECONVNET;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vzero = f32x4.splat(0);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      let v = v128.load(r + o);
      if (clampSignal) v = f32x4.max(v, vzero);
      if (maskByInput) v = v128.and(v, f32x4.gt(v128.load(z + o), vzero));
      v128.store(out + o, v);
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    let v = load<f32>(r + o);
    if (clampSignal && !(v > 0)) v = 0;
    if (maskByInput && !(load<f32>(z + o) > 0)) v = 0;
    store<f32>(out + o, v);
  }
}
