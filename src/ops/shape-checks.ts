import { Tensor, formatShape, sameShape, type Padding2d } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { checkOptions, describe, describeEntry } from '../check.ts';

/** Views a (C,H,W) or (N,C,H,W) shape as 4-D; `batched` says which it was, so results keep the caller's rank. */
export function asBatch(op: string, name: string, shape: readonly number[]): { n: number; c: number; h: number; w: number; batched: boolean } {
  const valid = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (valid && shape.length === 4) return { n: shape[0], c: shape[1], h: shape[2], w: shape[3], batched: true };
  if (valid && shape.length === 3) return { n: 1, c: shape[0], h: shape[1], w: shape[2], batched: false };
  throw new ConvscopeError('E_SHAPE', `${op}: ${name} must be (C,H,W) or (N,C,H,W) but has shape ${Array.isArray(shape) ? formatShape(shape) : describe(shape)}`);
}

export function batchShape(batched: boolean, n: number, c: number, h: number, w: number): number[] {
  return batched ? [n, c, h, w] : [c, h, w];
}

/** An op's tensor argument: a TypeError inside the op becomes one line naming the argument. */
export function requireTensor(op: string, name: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw new ConvscopeError('E_ARGUMENT', `${op}: ${name} must be a Tensor, not ${describe(value)}`);
}

/** An op's options: undefined gives {}, anything but an object is refused. */
export function requireOptions<T extends object>(op: string, value: T | undefined): T {
  return checkOptions(value, `${op}: options`);
}

/** A [height, width] pair of whole numbers (for stride, dilation, kernel sizes), or the fallback when undefined (null: required). */
export function requirePair(op: string, what: string, value: unknown, fallback: readonly [number, number] | null, min: number): [number, number] {
  const pair = value === undefined && fallback ? fallback : value;
  if (!(Array.isArray(pair) && pair.length === 2 && pair.every((v) => Number.isSafeInteger(v) && v >= min))) {
    throw new ConvscopeError('E_ARGUMENT', `${op}: ${what} must be [height, width], two whole numbers >= ${min}, not ${Array.isArray(pair) ? `[${pair.map(describeEntry).join(', ')}]` : describe(pair)}`);
  }
  return [pair[0], pair[1]];
}

/** Explicit padding: { top, bottom, left, right }, whole numbers >= 0. */
export function requirePadding(op: string, value: unknown, fallback: Padding2d): Padding2d {
  const pad = (value ?? fallback) as Partial<Padding2d>;
  const sides = ['top', 'bottom', 'left', 'right'] as const;
  if (!(typeof pad === 'object' && pad !== null && sides.every((k) => Number.isSafeInteger(pad[k]) && pad[k]! >= 0))) {
    throw new ConvscopeError('E_ARGUMENT', `${op}: padding must be { top, bottom, left, right }, whole numbers >= 0, not ${typeof pad === 'object' && pad !== null ? `{ ${sides.map((k) => `${k}: ${describeEntry(pad[k])}`).join(', ')} }` : describe(pad)}`);
  }
  return { top: pad.top!, bottom: pad.bottom!, left: pad.left!, right: pad.right! };
}

export function requireShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  requireTensor(op, name, t);
  if (!sameShape(t.shape, shape)) {
    throw new ConvscopeError('E_SHAPE', `${op}: ${name} has shape ${formatShape(t.shape)} but ${formatShape(shape)} is needed`);
  }
}

export function requireSameShape(op: string, a: Tensor, aName: string, b: Tensor, bName: string): void {
  requireTensor(op, aName, a);
  requireTensor(op, bName, b);
  if (!sameShape(a.shape, b.shape)) {
    throw new ConvscopeError('E_SHAPE', `${op}: ${aName} has shape ${formatShape(a.shape)} but ${bName} has shape ${formatShape(b.shape)}`);
  }
}

export function requirePositiveInts(op: string, what: string, values: readonly number[]): void {
  if (!values.every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new ConvscopeError('E_SHAPE', `${op}: ${what} must be positive whole numbers but got [${values.map(describeEntry).join(', ')}]`);
  }
}
