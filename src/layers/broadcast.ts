import { Tensor, sizeOf } from '../tensor.ts';

/**
 * For each element of a per-sample tensor of `shape`, the index of its value in a tensor of the
 * same rank whose axes not in `kept` are 1 (its broadcast parameter, or its group when the kept
 * axes are the ones not reduced over). Row-major, as the engine stores tensors.
 */
export function broadcastIndex(shape: readonly number[], kept: readonly boolean[]): Int32Array {
  const out = new Int32Array(sizeOf(shape));
  const rank = shape.length;
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let j = 0;
    for (let a = 0; a < rank; a++) j = j * (kept[a] ? shape[a] : 1) + (kept[a] ? coord[a] : 0);
    out[i] = j;
    for (let a = rank - 1; a >= 0; a--) {
      if (++coord[a] < shape[a]) break;
      coord[a] = 0;
    }
  }
  return out;
}

/** broadcastIndex for a tensor of shape `small` (each axis equal to `shape`'s or 1) broadcast over `shape`. */
export function broadcastIndexOf(shape: readonly number[], small: readonly number[]): Int32Array {
  return broadcastIndex(shape, small.map((d) => d !== 1));
}

/** The shape `shape` broadcasts a parameter over `kept` axes to: 1 on every other axis. */
export function keptShape(shape: readonly number[], kept: readonly boolean[]): number[] {
  return shape.map((d, a) => (kept[a] ? d : 1));
}

/** z = x * scale[p] + shift[p], p the broadcast index of each element; each sample alike. */
export function affineBroadcast(x: Tensor, scale: Float32Array, shift: Float32Array | null, index: Int32Array): Tensor {
  const z = Tensor.zeros(x.shape);
  const per = index.length;
  for (let base = 0; base < x.size; base += per) {
    for (let i = 0; i < per; i++) {
      const p = index[i];
      z.data[base + i] = x.data[base + i] * scale[p] + (shift ? shift[p] : 0);
    }
  }
  return z;
}
