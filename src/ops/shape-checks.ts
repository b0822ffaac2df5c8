import { Tensor, formatShape, sameShape } from '../tensor.ts';

/** Views a (C,H,W) or (N,C,H,W) shape as 4-D; `batched` says which it was, so results keep the caller's rank. */
export function asBatch(op: string, name: string, shape: readonly number[]): { n: number; c: number; h: number; w: number; batched: boolean } {
  const valid = shape.every((d) => Number.isInteger(d) && d >= 0);
  if (valid && shape.length === 4) return { n: shape[0], c: shape[1], h: shape[2], w: shape[3], batched: true };
  if (valid && shape.length === 3) return { n: 1, c: shape[0], h: shape[1], w: shape[2], batched: false };
  throw new Error(`${op}: ${name} must be (C,H,W) or (N,C,H,W) but has shape ${formatShape(shape)}`);
}

export function batchShape(batched: boolean, n: number, c: number, h: number, w: number): number[] {
  return batched ? [n, c, h, w] : [c, h, w];
}

export function requireShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (!sameShape(t.shape, shape)) {
    throw new Error(`${op}: ${name} has shape ${formatShape(t.shape)} but ${formatShape(shape)} is needed`);
  }
}

export function requireSameShape(op: string, a: Tensor, aName: string, b: Tensor, bName: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${op}: ${aName} has shape ${formatShape(a.shape)} but ${bName} has shape ${formatShape(b.shape)}`);
  }
}

export function requirePositiveInts(op: string, what: string, values: readonly number[]): void {
  if (!values.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${op}: ${what} must be positive integers but got [${values.join(', ')}]`);
  }
}

export function requireNonNegativeInts(op: string, what: string, values: readonly number[]): void {
  if (!values.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${op}: ${what} must be non-negative integers but got [${values.join(', ')}]`);
  }
}
