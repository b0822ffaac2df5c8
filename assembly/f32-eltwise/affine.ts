/** f32_channel_affine: y[n, c, i] = x[n, c, i] * scale[c] + shift[c], x laid out (n, channels, inner). */
export function f32_channel_affine(n: i32, channels: i32, inner: i32, x: usize, scale: usize, shift: usize, y: usize): void {
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < channels; c++) {
      const base = ((<usize>b * <usize>channels + <usize>c) * <usize>inner) << 2;
      const s = load<f32>(scale + (<usize>c << 2));
      const t = load<f32>(shift + (<usize>c << 2));
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        const vs = f32x4.splat(s);
        const vt = f32x4.splat(t);
        for (; i + 4 <= inner; i += 4) {
          const o = base + (<usize>i << 2);
          v128.store(y + o, f32x4.add(f32x4.mul(v128.load(x + o), vs), vt));
        }
      }
      for (; i < inner; i++) {
        const o = base + (<usize>i << 2);
        store<f32>(y + o, load<f32>(x + o) * s + t);
      }
    }
  }
}
