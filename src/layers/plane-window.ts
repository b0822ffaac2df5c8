import { Tensor } from '../tensor.ts';

/**
 * Each (H, W) plane of a batched (N, C, H, W) map put into a zero map of `shape`'s planes at
 * (top, left): a padding, and the adjoint of cropPlanes.
 */
export function padPlanes(x: Tensor, shape: readonly number[], top: number, left: number): Tensor {
  const [n, c, h, w] = x.shape;
  const [, , oh, ow] = shape;
  const z = Tensor.zeros(shape);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < h; y++) z.data.set(x.data.subarray((p * h + y) * w, (p * h + y + 1) * w), (p * oh + y + top) * ow + left);
  }
  return z;
}

/** The window of `shape`'s planes at (top, left) of each plane of a batched map: a crop, and the adjoint of padPlanes. */
export function cropPlanes(x: Tensor, shape: readonly number[], top: number, left: number): Tensor {
  const [n, c, h, w] = x.shape;
  const [, , oh, ow] = shape;
  const z = Tensor.zeros(shape);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < oh; y++) {
      const src = (p * h + y + top) * w + left;
      z.data.set(x.data.subarray(src, src + ow), (p * oh + y) * ow);
    }
  }
  return z;
}
