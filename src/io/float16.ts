/**
 * An IEEE 754 half-precision value (its 16 bits) as a number; every half value, subnormals,
 * infinities and NaN included, is exactly a float32 value, so this is what numpy's
 * astype(float32) and tfjs's float16 decoder give.
 */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}
