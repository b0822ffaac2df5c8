import { Tensor } from '../tensor.ts';
import { cropPlanes, padPlanes } from './plane-window.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';

/** Where one output row (or column) reads: rows i0 and i1, weighted (1 - w) and w. */
interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

/**
 * The taps of resizing `size` to `size * factor` as TensorFlow computes them: nearest repeats each
 * row `factor` times; bilinear reads at src = (o + 0.5) / factor - 0.5 with half-pixel centres
 * (tf.image.resize, tf.keras 2 and Keras 3), else at src = o / factor (tf.compat.v1's legacy
 * resize_bilinear, standalone Keras <= 2.3 and TensorFlow.js), between floor(src) and ceil(src)
 * clamped to the image.
 */
function resizeTaps(size: number, factor: number, bilinear: boolean, halfPixel: boolean): Taps {
  const out = size * factor;
  const taps = { i0: new Int32Array(out), i1: new Int32Array(out), w: new Float32Array(out) };
  for (let o = 0; o < out; o++) {
    if (!bilinear) {
      taps.i0[o] = taps.i1[o] = Math.floor(o / factor);
      continue;
    }
    const src = halfPixel ? (o + 0.5) / factor - 0.5 : o / factor;
    const lo = Math.floor(src);
    taps.i0[o] = Math.max(lo, 0);
    taps.i1[o] = Math.min(Math.ceil(src), size - 1);
    taps.w[o] = src - lo;
  }
  return taps;
}

export interface UpSamplingOptions {
  size: [number, number];
  interpolation: 'nearest' | 'bilinear';
  halfPixel: boolean;
}

/** Keras UpSampling2D; going back, its adjoint: each output value returns to its sources by their weights. */
export class UpSampling2DLayer extends Layer {
  private readonly rows: Taps;
  private readonly cols: Taps;

  constructor(name: string, inputShape: readonly number[], readonly options: UpSamplingOptions) {
    const [c, h, w] = inputShape;
    const [sh, sw] = options.size;
    super(name, 'UpSampling2D', inputShape, [c, h * sh, w * sw]);
    const bilinear = options.interpolation === 'bilinear';
    this.rows = resizeTaps(h, sh, bilinear, options.halfPixel);
    this.cols = resizeTaps(w, sw, bilinear, options.halfPixel);
  }

  forwardLinear(x: Tensor): LinearResult {
    const [n, c, h, w] = x.shape;
    const [, oh, ow] = this.outputShape;
    const z = Tensor.zeros([n, c, oh, ow]);
    const { rows, cols } = this;
    for (let p = 0; p < n * c; p++) {
      const src = p * h * w;
      for (let y = 0; y < oh; y++) {
        const r0 = src + rows.i0[y] * w;
        const r1 = src + rows.i1[y] * w;
        const wy = rows.w[y];
        const dst = (p * oh + y) * ow;
        for (let xo = 0; xo < ow; xo++) {
          const a = cols.i0[xo];
          const b = cols.i1[xo];
          const wx = cols.w[xo];
          const top = x.data[r0 + a] + (x.data[r0 + b] - x.data[r0 + a]) * wx;
          const bottom = x.data[r1 + a] + (x.data[r1 + b] - x.data[r1 + a]) * wx;
          z.data[dst + xo] = top + (bottom - top) * wy;
        }
      }
    }
    return { z };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    const [n, c, h, w] = record.input.shape;
    const [, oh, ow] = this.outputShape;
    const dx = Tensor.zeros(record.input.shape);
    const { rows, cols } = this;
    for (let p = 0; p < n * c; p++) {
      const src = p * h * w;
      for (let y = 0; y < oh; y++) {
        const r0 = src + rows.i0[y] * w;
        const r1 = src + rows.i1[y] * w;
        const wy = rows.w[y];
        const from = (p * oh + y) * ow;
        for (let xo = 0; xo < ow; xo++) {
          const v = r.data[from + xo];
          const a = cols.i0[xo];
          const b = cols.i1[xo];
          const wx = cols.w[xo];
          dx.data[r0 + a] += v * (1 - wy) * (1 - wx);
          dx.data[r0 + b] += v * (1 - wy) * wx;
          dx.data[r1 + a] += v * wy * (1 - wx);
          dx.data[r1 + b] += v * wy * wx;
        }
      }
    }
    return dx;
  }
}

/** Keras Cropping2D; going back, the cropped border is padded with zeros. */
export class Cropping2DLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], readonly crop: { top: number; bottom: number; left: number; right: number }) {
    const [c, h, w] = inputShape;
    super(name, 'Cropping2D', inputShape, [c, h - crop.top - crop.bottom, w - crop.left - crop.right]);
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: cropPlanes(x, [x.shape[0], ...this.outputShape], this.crop.top, this.crop.left) };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    return padPlanes(r, record.input.shape, this.crop.top, this.crop.left);
  }
}

/** Moves the axes of each sample: output axis a is input axis `perm[a]`. */
function permuteAxes(x: Tensor, perm: readonly number[]): Tensor {
  const [n, ...shape] = x.shape;
  const outShape = perm.map((a) => shape[a]);
  const z = Tensor.zeros([n, ...outShape]);
  const inStrides = shape.map((_, a) => shape.slice(a + 1).reduce((p, d) => p * d, 1));
  const strides = perm.map((a) => inStrides[a]);
  const per = z.size / n;
  const [d0, d1, d2] = outShape;
  const [s0, s1, s2] = strides;
  for (let b = 0; b < n; b++) {
    const base = b * per;
    let o = base;
    for (let i = 0; i < d0; i++) for (let j = 0; j < d1; j++) for (let k = 0; k < d2; k++) z.data[o++] = x.data[base + i * s0 + j * s1 + k * s2];
  }
  return z;
}

/**
 * Keras Permute on a (C, H, W) map, with `perm` in engine axes (output axis a is input axis
 * perm[a]); the converter maps Keras's dims through the data format. Going back, the inverse
 * permutation.
 */
export class PermuteLayer extends Layer {
  private readonly inverse: number[];

  constructor(name: string, inputShape: readonly number[], readonly perm: readonly number[]) {
    super(name, 'Permute', inputShape, perm.map((a) => inputShape[a]));
    this.inverse = perm.map((_, a) => perm.indexOf(a));
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: permuteAxes(x, this.perm) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return permuteAxes(r, this.inverse);
  }
}
