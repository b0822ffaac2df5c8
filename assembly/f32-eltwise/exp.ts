// exp for four lanes: Cephes' expf polynomial after range reduction x = n*ln2 + r, with
// 2^n built in the exponent bits. Inputs are clamped so that 2^n stays a normal float;
// the relative error is about 2e-7 over the clamped range.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_MIN: f32 = -87.3;
const EXP_MAX: f32 = 88.0;

// @ts-ignore: decorator
@inline
export function exp_f32x4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(EXP_MIN)), f32x4.splat(EXP_MAX));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** The same clamp as the vector version, so that both builds agree at the extremes. */
// @ts-ignore: decorator
@inline
export function exp_f32(x: f32): f32 {
  return Mathf.exp(min(max(x, EXP_MIN), EXP_MAX));
}
