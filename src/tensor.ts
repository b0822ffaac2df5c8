import { ConvscopeError } from './errors.ts';
import { checkMemory, memoryLimit } from './limits.ts';
import { activePool } from './buffer-pool.ts';

/** A dense float32 tensor: a shape and its row-major data. The engine is channels-first (NCHW). */
export class Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;

  /**
   * shape: an array of whole numbers >= 0; data: as many values as the shape holds (a
   * Float32Array is kept, not copied). Without data the tensor is zeros, allocated only when the
   * size is under the memory limit (see limits.ts).
   */
  constructor(shape: readonly number[], data?: Float32Array | ArrayLike<number>) {
    const size = checkShape(shape);
    if (data === undefined) {
      // The message is built only when it is needed: a forward pass makes tensors by the hundred.
      if (size * 4 > memoryLimit()) checkMemory(size * 4, `a tensor of shape ${formatShape(shape)}`);
      this.data = activePool()?.take(size) ?? new Float32Array(size);
    } else {
      const length = typeof data === 'object' && data !== null ? (data as ArrayLike<number>).length : undefined;
      if (typeof length !== 'number') {
        throw new ConvscopeError('E_ARGUMENT', `a tensor's data must be a Float32Array or an array of numbers, not ${kindOf(data)}`);
      }
      if (length !== size) {
        throw new ConvscopeError('E_SHAPE', `a tensor of shape ${formatShape(shape)} needs ${size} values but got ${length}`);
      }
      if (!(data instanceof Float32Array) && size * 4 > memoryLimit()) checkMemory(size * 4, `a tensor of shape ${formatShape(shape)}`);
      this.data = data instanceof Float32Array ? data : Float32Array.from(data);
    }
    this.shape = [...shape];
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(shape);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  reshape(shape: readonly number[]): Tensor {
    if (checkShape(shape) !== this.size) {
      throw new ConvscopeError('E_SHAPE', `cannot reshape a tensor of shape ${formatShape(this.shape)} (${this.size} values) to ${formatShape(shape)}`);
    }
    return new Tensor(shape, this.data);
  }

  clone(): Tensor {
    return new Tensor(this.shape, this.data.slice());
  }

  toString(): string {
    return `Tensor[${this.shape.join(', ')}]`;
  }
}

/** The number of values a shape holds, after checking it is an array of whole numbers >= 0 (E_ARGUMENT otherwise). */
export function checkShape(shape: readonly number[]): number {
  const valid = Array.isArray(shape) && shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
  if (!valid) {
    const given = Array.isArray(shape) ? `[${shape.map(kindOf).join(', ')}]` : kindOf(shape);
    throw new ConvscopeError('E_ARGUMENT', `a tensor's shape must be an array of whole numbers >= 0, not ${given}`);
  }
  const size = sizeOf(shape);
  if (!Number.isSafeInteger(size)) checkMemory(size * 4, `a tensor of shape ${formatShape(shape)}`);
  return size;
}

/** A number as itself, anything else by its kind, for messages. */
function kindOf(v: unknown): string {
  return typeof v === 'number' ? String(v) : v === null ? 'null' : v === undefined ? 'nothing' : typeof v === 'string' ? `'${v}'` : `a ${typeof v}`;
}

export function sizeOf(shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new ConvscopeError('E_ARGUMENT', `a shape must be an array of whole numbers, not ${kindOf(shape)}`);
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  if (!Array.isArray(shape)) return kindOf(shape);
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Explicit, possibly asymmetric, spatial padding. */
export interface Padding2d {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export const NO_PADDING: Padding2d = { top: 0, bottom: 0, left: 0, right: 0 };

/** Effective extent of a dilated kernel. */
export function dilatedExtent(k: number, dilation: number): number {
  return (k - 1) * dilation + 1;
}

/** Output length along one axis for an explicitly padded window op (conv or pool). */
export function windowOutputLength(input: number, k: number, stride: number, dilation: number, padBefore: number, padAfter: number): number {
  const span = input + padBefore + padAfter - dilatedExtent(k, dilation);
  return span < 0 ? 0 : Math.floor(span / stride) + 1;
}

/**
 * Keras/TensorFlow 'same' padding along one axis: out = ceil(in / stride), total padding
 * max((out - 1) * stride + k_eff - in, 0), the odd extra at the end (bottom/right).
 */
export function samePadding(input: number, k: number, stride: number, dilation = 1): { before: number; after: number } {
  for (const [name, v, min] of [['input', input, 0], ['kernel', k, 1], ['stride', stride, 1], ['dilation', dilation, 1]] as const) {
    if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= min)) {
      throw new ConvscopeError('E_ARGUMENT', `samePadding: the ${name} size must be a whole number >= ${min}, not ${kindOf(v)}`);
    }
  }
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + dilatedExtent(k, dilation) - input, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before };
}

/** The padding Keras uses for 'valid' or 'same' on a 2-D window op. */
export function kerasPadding2d(
  mode: 'valid' | 'same',
  inputHW: readonly [number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number] = [1, 1],
): Padding2d {
  if (mode !== 'valid' && mode !== 'same') throw new ConvscopeError('E_ARGUMENT', `kerasPadding2d: unknown padding mode ${kindOf(mode)}; valid modes: valid, same`);
  for (const [name, pair] of [['inputHW', inputHW], ['kernel', kernel], ['stride', stride], ['dilation', dilation]] as const) {
    if (!(Array.isArray(pair) && pair.length === 2)) throw new ConvscopeError('E_ARGUMENT', `kerasPadding2d: ${name} must be [height, width], not ${Array.isArray(pair) ? `an array of ${pair.length}` : kindOf(pair)}`);
  }
  if (mode === 'valid') return { ...NO_PADDING };
  const v = samePadding(inputHW[0], kernel[0], stride[0], dilation[0]);
  const h = samePadding(inputHW[1], kernel[1], stride[1], dilation[1]);
  return { top: v.before, bottom: v.after, left: h.before, right: h.after };
}
