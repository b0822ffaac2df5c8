/** A dense float32 tensor: a shape and its row-major data. The engine is channels-first (NCHW). */
export class Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;

  constructor(shape: readonly number[], data?: Float32Array | ArrayLike<number>) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: bad shape [${shape.join(', ')}]`);
    }
    const size = sizeOf(shape);
    this.shape = [...shape];
    if (data === undefined) {
      this.data = new Float32Array(size);
    } else {
      if (data.length !== size) {
        throw new Error(`Tensor: shape [${shape.join(', ')}] needs ${size} values but got ${data.length}`);
      }
      this.data = data instanceof Float32Array ? data : Float32Array.from(data);
    }
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
    if (sizeOf(shape) !== this.size) {
      throw new Error(`reshape: cannot view [${this.shape.join(', ')}] as [${shape.join(', ')}]`);
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

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
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
  if (mode === 'valid') return { ...NO_PADDING };
  const v = samePadding(inputHW[0], kernel[0], stride[0], dilation[0]);
  const h = samePadding(inputHW[1], kernel[1], stride[1], dilation[1]);
  return { top: v.before, bottom: v.after, left: h.before, right: h.after };
}
