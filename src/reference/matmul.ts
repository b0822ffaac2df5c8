import type { BiasAxis } from '../runtime/kernel-set.ts';

export function matmul(
  m: number, n: number, k: number,
  a: Float32Array, transA: boolean,
  b: Float32Array, transB: boolean,
  bias: Float32Array | null, biasAxis: BiasAxis,
  c: Float32Array,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = bias ? bias[biasAxis === 'row' ? i : j] : 0;
      for (let p = 0; p < k; p++) {
        acc += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      }
      c[i * n + j] = acc;
    }
  }
}
