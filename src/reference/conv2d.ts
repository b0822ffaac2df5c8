import type { ConvGeometry } from '../runtime/kernel-set.ts';

/** The direct sum: every output accumulates over cin x kh x kw taps, skipping taps that land in the padding. */
export function conv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
  const { n, cin, h, w: width, cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, oh, ow } = g;
  for (let b = 0; b < n; b++) {
    for (let co = 0; co < cout; co++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let acc = bias ? bias[co] : 0;
          for (let ci = 0; ci < cin; ci++) {
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * strideH - padTop + ky * dilationH;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * strideW - padLeft + kx * dilationW;
                if (ix < 0 || ix >= width) continue;
                acc += x[((b * cin + ci) * h + iy) * width + ix] * w[((co * cin + ci) * kh + ky) * kw + kx];
              }
            }
          }
          y[((b * cout + co) * oh + oy) * ow + ox] = acc;
        }
      }
    }
  }
}

/** The exact adjoint of conv2d: each dy value, times each tap's weight, is scattered back to the input position that tap read. */
export function conv2dBackwardData(g: ConvGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
  const { n, cin, h, w: width, cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, oh, ow } = g;
  const plane = cin * h * width;
  // Accumulate in float64 so the reference does not depend on scatter order.
  const acc = new Float64Array(plane);
  for (let b = 0; b < n; b++) {
    acc.fill(0);
    for (let co = 0; co < cout; co++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const d = dy[((b * cout + co) * oh + oy) * ow + ox];
          for (let ci = 0; ci < cin; ci++) {
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * strideH - padTop + ky * dilationH;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * strideW - padLeft + kx * dilationW;
                if (ix < 0 || ix >= width) continue;
                acc[(ci * h + iy) * width + ix] += d * w[((co * cin + ci) * kh + ky) * kw + kx];
              }
            }
          }
        }
      }
    }
    dx.set(acc, b * plane);
  }
}

/** dw[co, ci, ky, kx] = sum over batch and output positions of dy * the input that tap read; db[co] = sum of dy. */
export function conv2dBackwardFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array): void {
  const { n, cin, h, w: width, cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft, oh, ow } = g;
  for (let co = 0; co < cout; co++) {
    let bsum = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh * ow; i++) bsum += dy[(b * cout + co) * oh * ow + i];
    }
    db[co] = bsum;
    for (let ci = 0; ci < cin; ci++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          let acc = 0;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * strideH - padTop + ky * dilationH;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * strideW - padLeft + kx * dilationW;
                if (ix < 0 || ix >= width) continue;
                acc += dy[((b * cout + co) * oh + oy) * ow + ox] * x[((b * cin + ci) * h + iy) * width + ix];
              }
            }
          }
          dw[((co * cin + ci) * kh + ky) * kw + kx] = acc;
        }
      }
    }
  }
}
