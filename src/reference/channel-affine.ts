export function channelAffine(n: number, channels: number, inner: number, x: Float32Array, scale: Float32Array, shift: Float32Array, y: Float32Array): void {
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < channels; c++) {
      const base = (b * channels + c) * inner;
      for (let i = 0; i < inner; i++) y[base + i] = x[base + i] * scale[c] + shift[c];
    }
  }
}
