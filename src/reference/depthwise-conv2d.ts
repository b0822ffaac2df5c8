import type { ConvGeometry } from '../runtime/kernel-set.ts';

/** Output channel co reads input channel co / M, every tap that lands outside the input skipped. */
export function depthwiseConv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
  const { n, cin, h, w: width, cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, oh, ow } = g;
  const mult = cout / cin;
  for (let b = 0; b < n; b++) {
    for (let co = 0; co < cout; co++) {
      const plane = (b * cin + Math.floor(co / mult)) * h * width;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let acc = bias ? bias[co] : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * strideW - padLeft + kx * dilationW;
              if (ix < 0 || ix >= width) continue;
              acc += x[plane + iy * width + ix] * w[(co * kh + ky) * kw + kx];
            }
          }
          y[((b * cout + co) * oh + oy) * ow + ox] = acc;
        }
      }
    }
  }
}

/** The exact adjoint of depthwiseConv2d: each dy value, times each tap's weight, goes back to the input position that tap read. */
export function depthwiseConv2dBackwardData(g: ConvGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
  const { n, cin, h, w: width, cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, oh, ow } = g;
  const mult = cout / cin;
  // float64 sums, so that the reference does not depend on scatter order
  const acc = new Float64Array(n * cin * h * width);
  for (let b = 0; b < n; b++) {
    for (let co = 0; co < cout; co++) {
      const plane = (b * cin + Math.floor(co / mult)) * h * width;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const d = dy[((b * cout + co) * oh + oy) * ow + ox];
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * strideW - padLeft + kx * dilationW;
              if (ix < 0 || ix >= width) continue;
              acc[plane + iy * width + ix] += d * w[(co * kh + ky) * kw + kx];
            }
          }
        }
      }
    }
  }
  dx.set(acc);
}

/** dw[co, 0, ky, kx] = sum over batch and output positions of dy[co] * the input (channel co / M) that tap read; db[co] = sum of dy[co]. */
export function depthwiseConv2dBackwardFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array): void {
  const { n, cin, h, w: width, cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, oh, ow } = g;
  const mult = cout / cin;
  for (let co = 0; co < cout; co++) {
    let bsum = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh * ow; i++) bsum += dy[(b * cout + co) * oh * ow + i];
    }
    db[co] = bsum;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        let acc = 0;
        for (let b = 0; b < n; b++) {
          const plane = (b * cin + Math.floor(co / mult)) * h * width;
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= h) continue;
            for (let ox = 0; ox < ow; ox++) {
              const ix = ox * strideW - padLeft + kx * dilationW;
              if (ix < 0 || ix >= width) continue;
              acc += dy[((b * cout + co) * oh + oy) * ow + ox] * x[plane + iy * width + ix];
            }
          }
        }
        dw[(co * kh + ky) * kw + kx] = acc;
      }
    }
  }
}
