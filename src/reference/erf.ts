/**
 * erf in float64 to about 1e-15: its Maclaurin series below |x| = 3, where the largest term
 * costs four digits at most; above, erfc by its continued fraction (Abramowitz & Stegun 7.1.14),
 * which converges fast there. JavaScript has no Math.erf.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 3) return Math.sign(x) * (1 - erfcLarge(a));
  let term = x;
  let sum = x;
  for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(x) for x >= 3: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail. */
function erfcLarge(x: number): number {
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** The standard normal CDF, Phi(x) = (1 + erf(x / sqrt2)) / 2, without cancellation in the negative tail. */
export function normalCdf(x: number): number {
  const u = x / Math.SQRT2;
  return u < -3 ? erfcLarge(-u) / 2 : (1 + erf(u)) / 2;
}
