import type { PoolGeometry } from '../runtime/kernel-set.ts';

/** Calls visit(index within the plane) for each in-bounds position of output (oy, ox)'s window, in row-major order. */
function forWindow(g: PoolGeometry, oy: number, ox: number, visit: (i: number) => void): void {
  const y0 = oy * g.strideH - g.padTop;
  const x0 = ox * g.strideW - g.padLeft;
  for (let iy = Math.max(y0, 0); iy < Math.min(y0 + g.kh, g.h); iy++) {
    for (let ix = Math.max(x0, 0); ix < Math.min(x0 + g.kw, g.w); ix++) visit(iy * g.w + ix);
  }
}

export function maxPool2d(g: PoolGeometry, x: Float32Array, y: Float32Array, switches: Int32Array): void {
  const inPlane = g.h * g.w;
  const outPlane = g.oh * g.ow;
  for (let p = 0; p < g.planes; p++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let best = -Infinity;
        let at = -1;
        forWindow(g, oy, ox, (i) => {
          // Strict '>' keeps the first maximum; the first in-bounds position seeds it so an all -Infinity window still has a switch.
          const v = x[p * inPlane + i];
          if (at < 0 || v > best) {
            best = v;
            at = i;
          }
        });
        y[p * outPlane + oy * g.ow + ox] = best;
        switches[p * outPlane + oy * g.ow + ox] = at;
      }
    }
  }
}

export function maxUnpool2d(g: PoolGeometry, r: Float32Array, switches: Int32Array, dx: Float32Array): number {
  const inPlane = g.h * g.w;
  const outPlane = g.oh * g.ow;
  const acc = new Float64Array(inPlane);
  for (let p = 0; p < g.planes; p++) {
    acc.fill(0);
    for (let o = 0; o < outPlane; o++) {
      const s = switches[p * outPlane + o];
      if (!(s >= 0 && s < inPlane)) return p * outPlane + o;
      acc[s] += r[p * outPlane + o];
    }
    dx.set(acc, p * inPlane);
  }
  return -1;
}

export function avgPool2d(g: PoolGeometry, x: Float32Array, y: Float32Array): void {
  const inPlane = g.h * g.w;
  const outPlane = g.oh * g.ow;
  for (let p = 0; p < g.planes; p++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let sum = 0;
        let count = 0;
        forWindow(g, oy, ox, (i) => {
          sum += x[p * inPlane + i];
          count++;
        });
        y[p * outPlane + oy * g.ow + ox] = sum / count;
      }
    }
  }
}

export function avgPool2dBackward(g: PoolGeometry, dy: Float32Array, dx: Float32Array): void {
  const inPlane = g.h * g.w;
  const outPlane = g.oh * g.ow;
  const acc = new Float64Array(inPlane);
  for (let p = 0; p < g.planes; p++) {
    acc.fill(0);
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let count = 0;
        forWindow(g, oy, ox, () => count++);
        const share = dy[p * outPlane + oy * g.ow + ox] / count;
        forWindow(g, oy, ox, (i) => {
          acc[i] += share;
        });
      }
    }
    dx.set(acc, p * inPlane);
  }
}
