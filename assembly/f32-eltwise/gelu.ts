import { exp_f32x4, exp_f32 } from './exp';

// Gaussian error linear units. The exact form needs the normal CDF, Phi(x) = erfc(-x/sqrt2)/2,
// taken from Abramowitz & Stegun 7.1.26: erfc(u) = t*(a1 + t*(a2 + ... a5)) * exp(-u^2),
// t = 1/(1 + p*u), u >= 0, absolute error below 1.5e-7; for x < 0 Phi is that small erfc itself,
// so the negative tail keeps its relative accuracy instead of cancelling in 1 - erfc.

const RSQRT2: f32 = 0.70710678118654752;
const RSQRT_2PI: f32 = 0.39894228040143268;
const P: f32 = 0.3275911;
const A1: f32 = 0.254829592;
const A2: f32 = -0.284496736;
const A3: f32 = 1.421413741;
const A4: f32 = -1.453152027;
const A5: f32 = 1.061405429;
/** sqrt(2/pi) and the cubic coefficient of the tanh approximation. */
const K: f32 = 0.79788456080286536;
const C: f32 = 0.044715;

// @ts-ignore: decorator
@inline
function erfcPoly_f32x4(t: v128): v128 {
  let p = f32x4.splat(A5);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A4));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A1));
  return f32x4.mul(p, t);
}

// @ts-ignore: decorator
@inline
function erfcPoly_f32(t: f32): f32 {
  return t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5))));
}

/** f32_gelu: y = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt2)) (Keras gelu, approximate=False). */
export function f32_gelu(count: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    const vhalf = f32x4.splat(0.5);
    const vzero = f32x4.splat(0);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vx = v128.load(x + o);
      const u = f32x4.mul(f32x4.abs(vx), f32x4.splat(RSQRT2));
      const t = f32x4.div(vone, f32x4.add(vone, f32x4.mul(u, f32x4.splat(P))));
      const tail = f32x4.mul(vhalf, f32x4.mul(erfcPoly_f32x4(t), exp_f32x4(f32x4.neg(f32x4.mul(u, u)))));
      const phi = v128.bitselect(f32x4.sub(vone, tail), tail, f32x4.ge(vx, vzero));
      v128.store(y + o, f32x4.mul(vx, phi));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const u = Mathf.abs(v) * RSQRT2;
    const tail: f32 = 0.5 * erfcPoly_f32(1 / (1 + P * u)) * exp_f32(-u * u);
    store<f32>(y + o, v * (v >= 0 ? 1 - tail : tail));
  }
}

/** f32_gelu_backward: out = r * (Phi(z) + z * phi(z)), phi the normal density. */
export function f32_gelu_backward(count: i32, r: usize, z: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    const vhalf = f32x4.splat(0.5);
    const vzero = f32x4.splat(0);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vz = v128.load(z + o);
      const u = f32x4.mul(f32x4.abs(vz), f32x4.splat(RSQRT2));
      const t = f32x4.div(vone, f32x4.add(vone, f32x4.mul(u, f32x4.splat(P))));
      const e = exp_f32x4(f32x4.neg(f32x4.mul(u, u)));
      const tail = f32x4.mul(vhalf, f32x4.mul(erfcPoly_f32x4(t), e));
      const cdf = v128.bitselect(f32x4.sub(vone, tail), tail, f32x4.ge(vz, vzero));
      const d = f32x4.add(cdf, f32x4.mul(vz, f32x4.mul(e, f32x4.splat(RSQRT_2PI))));
      v128.store(out + o, f32x4.mul(v128.load(r + o), d));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const vz = load<f32>(z + o);
    const u = Mathf.abs(vz) * RSQRT2;
    const e = exp_f32(-u * u);
    const tail: f32 = 0.5 * erfcPoly_f32(1 / (1 + P * u)) * e;
    const cdf: f32 = vz >= 0 ? 1 - tail : tail;
    const d = cdf + vz * e * RSQRT_2PI;
    store<f32>(out + o, load<f32>(r + o) * d);
  }
}

/**
 * f32_gelu_tanh: y = 0.5 * x * (1 + tanh(K * (x + C*x^3))) (Keras gelu, approximate=True),
 * computed as x * sigmoid(2 * K * (x + C*x^3)).
 */
export function f32_gelu_tanh(count: i32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    const vc = f32x4.splat(C);
    const vminus2k = f32x4.splat(-2 * K);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vx = v128.load(x + o);
      const inner = f32x4.mul(vx, f32x4.add(vone, f32x4.mul(vc, f32x4.mul(vx, vx))));
      v128.store(y + o, f32x4.div(vx, f32x4.add(vone, exp_f32x4(f32x4.mul(vminus2k, inner)))));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v / (1 + exp_f32(-2 * K * (v * (1 + C * v * v)))));
  }
}

/** f32_gelu_tanh_backward: out = r * (s + z * s * (1 - s) * 2K * (1 + 3C*z^2)), s = sigmoid(2K(z + C*z^3)). */
export function f32_gelu_tanh_backward(count: i32, r: usize, z: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = f32x4.splat(1);
    const vc = f32x4.splat(C);
    const v3c = f32x4.splat(3 * C);
    const v2k = f32x4.splat(2 * K);
    const vminus2k = f32x4.splat(-2 * K);
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      const vz = v128.load(z + o);
      const z2 = f32x4.mul(vz, vz);
      const inner = f32x4.mul(vz, f32x4.add(vone, f32x4.mul(vc, z2)));
      const s = f32x4.div(vone, f32x4.add(vone, exp_f32x4(f32x4.mul(vminus2k, inner))));
      const slope = f32x4.mul(v2k, f32x4.add(vone, f32x4.mul(v3c, z2)));
      const d = f32x4.add(s, f32x4.mul(f32x4.mul(vz, f32x4.mul(s, f32x4.sub(vone, s))), slope));
      v128.store(out + o, f32x4.mul(v128.load(r + o), d));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const vz = load<f32>(z + o);
    const s: f32 = 1 / (1 + exp_f32(-2 * K * (vz * (1 + C * vz * vz))));
    const d = s + vz * s * (1 - s) * (2 * K * (1 + 3 * C * vz * vz));
    store<f32>(out + o, load<f32>(r + o) * d);
  }
}
