import { checkChoice, checkInteger } from '../../check.ts';

export const INTEGRATION_RULES = ['gausslegendre', 'riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid'] as const;
export type IntegrationRule = (typeof INTEGRATION_RULES)[number];

/** Captum's alphas and step sizes for n points (docs/ATTRIBUTION.md "integrated gradients"). */
export function integrationPoints(rule: IntegrationRule, n: number): { alphas: number[]; weights: number[] } {
  checkChoice(rule, 'integration', INTEGRATION_RULES, 'integration rules');
  checkInteger(n, 'steps', 2);
  if (rule === 'gausslegendre') {
    const { nodes, weights } = gaussLegendre(n);
    return { alphas: nodes.map((t) => 0.5 * (1 + t)), weights: weights.map((v) => 0.5 * v) };
  }
  const linspace = (a: number, b: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
  const weights = Array.from({ length: n }, () => 1 / n);
  if (rule === 'riemann_trapezoid') {
    weights[0] /= 2;
    weights[n - 1] /= 2;
    return { alphas: linspace(0, 1), weights };
  }
  const alphas = rule === 'riemann_left' ? linspace(0, 1 - 1 / n) : rule === 'riemann_right' ? linspace(1 / n, 1) : linspace(1 / (2 * n), 1 - 1 / (2 * n));
  return { alphas, weights };
}

/** Gauss-Legendre nodes (ascending, as numpy's leggauss) and weights on [-1, 1]: Newton's method on P_n. */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n);
  const weights = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  return { nodes, weights };
}
