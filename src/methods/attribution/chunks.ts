import { Tensor, sizeOf } from '../../tensor.ts';
import type { Model } from '../../model/model.ts';

// About this many floats of records per chunk of rows (a forward keeps every node's input, z and output),
// and at most this many rows: past 64 MNIST rows the copies in and out of wasm memory outgrow
// the caches (bench:attribution measured 10-20% more per row at 712-row chunks).
const CHUNK_FLOATS = 32 * 1024 * 1024;
const MAX_ROWS = 64;

/** Rows per chunk for a forward (and backward) up to node `last`: as many as fit CHUNK_FLOATS, at most MAX_ROWS, at least 1. */
export function rowsPerChunk(model: Model, last: number): number {
  let perRow = sizeOf(model.inputShape);
  for (const i of model.ancestors(last)) perRow += 3 * sizeOf(model.layers[i].outputShape);
  return Math.max(1, Math.min(MAX_ROWS, Math.floor(CHUNK_FLOATS / perRow)));
}

/** Rows [start, start + count) of a batched tensor, as a tensor sharing its data. */
export function rows(x: Tensor, start: number, count: number): Tensor {
  const per = x.size / x.shape[0];
  return new Tensor([count, ...x.shape.slice(1)], x.data.subarray(start * per, (start + count) * per));
}

/** Calls fn for consecutive chunks of `total` rows, each at most `size` rows, with (start, count). */
export function forEachChunk(total: number, size: number, fn: (start: number, count: number) => void): void {
  for (let start = 0; start < total; start += size) fn(start, Math.min(size, total - start));
}

/** a's rows, then b's. */
export function concatRows(a: Tensor, b: Tensor): Tensor {
  const out = Tensor.zeros([a.shape[0] + b.shape[0], ...a.shape.slice(1)]);
  out.data.set(a.data);
  out.data.set(b.data, a.size);
  return out;
}

/** The rows of a batched tensor, one per sample, each repeated `times` times. */
export function repeatRows(x: Tensor, times: number): Tensor {
  const n = x.shape[0];
  const per = x.size / n;
  const out = Tensor.zeros([n * times, ...x.shape.slice(1)]);
  for (let b = 0; b < n; b++) for (let j = 0; j < times; j++) out.data.set(x.data.subarray(b * per, (b + 1) * per), (b * times + j) * per);
  return out;
}
