/** Source coordinates and weights along one axis: src = (dst + 0.5) * in / out - 0.5, clamped. */
function axisWeights(inLen: number, outLen: number): { lo: Int32Array; hi: Int32Array; f: Float64Array } {
  const lo = new Int32Array(outLen);
  const hi = new Int32Array(outLen);
  const f = new Float64Array(outLen);
  for (let d = 0; d < outLen; d++) {
    const s = Math.min(Math.max((d + 0.5) * (inLen / outLen) - 0.5, 0), inLen - 1);
    lo[d] = Math.floor(s);
    hi[d] = Math.min(lo[d] + 1, inLen - 1);
    f[d] = s - lo[d];
  }
  return { lo, hi, f };
}

/**
 * Bilinear resize of (channels, inH, inW) planes with half-pixel centres (as PIL, OpenCV and
 * tf.image.resize with half_pixel_centers), no antialiasing.
 */
export function resizeBilinear(src: Float32Array, channels: number, inH: number, inW: number, outH: number, outW: number): Float32Array {
  const ys = axisWeights(inH, outH);
  const xs = axisWeights(inW, outW);
  const out = new Float32Array(channels * outH * outW);
  for (let c = 0; c < channels; c++) {
    const plane = src.subarray(c * inH * inW, (c + 1) * inH * inW);
    for (let y = 0; y < outH; y++) {
      const top = ys.lo[y] * inW;
      const bottom = ys.hi[y] * inW;
      const fy = ys.f[y];
      for (let x = 0; x < outW; x++) {
        const l = xs.lo[x];
        const r = xs.hi[x];
        const fx = xs.f[x];
        const upper = plane[top + l] + (plane[top + r] - plane[top + l]) * fx;
        const lower = plane[bottom + l] + (plane[bottom + r] - plane[bottom + l]) * fx;
        out[(c * outH + y) * outW + x] = upper + (lower - upper) * fy;
      }
    }
  }
  return out;
}
