/** One Keras 2 Adam step in place, each element in float64 and stored in float32 (kernel-set.ts's adam). */
export function adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, alpha: number, beta1: number, beta2: number, epsilon: number): void {
  for (let i = 0; i < w.length; i++) {
    m[i] += (g[i] - m[i]) * (1 - beta1);
    v[i] += (g[i] * g[i] - v[i]) * (1 - beta2);
    w[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + epsilon);
  }
}
