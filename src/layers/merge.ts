import { Tensor, formatShape, sameShape, sizeOf } from '../tensor.ts';
import { add } from '../ops/eltwise.ts';
import { broadcastIndexOf } from './broadcast.ts';
import { MergeLayer, type LayerRecord } from './layer.ts';

export const ELEMENTWISE_MERGES = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'] as const;
export type ElementwiseMerge = (typeof ELEMENTWISE_MERGES)[number];

/**
 * The per-sample shape that inputs of equal rank broadcast to (each axis equal, or 1 in all but
 * one input, as Keras's merge layers allow), or null when they do not.
 */
export function broadcastShape(shapes: readonly (readonly number[])[]): number[] | null {
  const rank = shapes[0].length;
  if (shapes.some((s) => s.length !== rank)) return null;
  const out: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    const sizes = new Set(shapes.map((s) => s[axis]).filter((d) => d !== 1));
    if (sizes.size > 1) return null;
    out.push(sizes.size === 0 ? 1 : [...sizes][0]);
  }
  return out;
}

/** For each output element of one sample, the index of the input's element broadcast to it; null where the shapes are equal. */
function broadcastIndex(from: readonly number[], to: readonly number[]): Int32Array | null {
  return sameShape(from, to) ? null : broadcastIndexOf(to, from);
}

/**
 * Keras's element-wise merges: Add, Subtract (first minus second), Multiply, Average, Maximum,
 * Minimum. Backward (SEMANTICS.md): R to every input (-R to Subtract's second, R/n for Average),
 * R times the product of the other inputs for Multiply, R to the input that won (first on ties)
 * for Maximum and Minimum; a broadcast input gets the sum over the positions it was copied to.
 */
export class ElementwiseMergeLayer extends MergeLayer {
  private readonly gathers: (Int32Array | null)[];

  constructor(name: string, readonly op: ElementwiseMerge, inputShapes: readonly (readonly number[])[], outputShape: readonly number[]) {
    super(name, op, inputShapes, outputShape);
    this.gathers = inputShapes.map((s) => broadcastIndex(s, outputShape));
  }

  /** Input k of one batch as the output's shape (broadcast copies made explicit). */
  private expanded(x: Tensor, k: number): Float32Array {
    const gather = this.gathers[k];
    if (!gather) return x.data;
    const n = x.shape[0];
    const per = gather.length;
    const inPer = x.size / n;
    const out = new Float32Array(n * per);
    for (let b = 0; b < n; b++) for (let i = 0; i < per; i++) out[b * per + i] = x.data[b * inPer + gather[i]];
    return out;
  }

  /** The adjoint of `expanded`: sums over the copies. */
  private reduced(r: Float32Array, k: number, n: number): Tensor {
    const gather = this.gathers[k];
    const shape = [n, ...this.inputShapes[k]];
    if (!gather) return new Tensor(shape, r);
    const out = Tensor.zeros(shape);
    const per = gather.length;
    const inPer = out.size / n;
    for (let b = 0; b < n; b++) for (let i = 0; i < per; i++) out.data[b * inPer + gather[i]] += r[b * per + i];
    return out;
  }

  /** Inputs that do not broadcast may be any equal-shaped crops of the maps (incremental occlusion's patches). */
  merge(xs: readonly Tensor[]): Tensor {
    const n = xs[0].shape[0];
    const broadcasts = this.gathers.some((g) => g !== null);
    const shape = broadcasts ? [n, ...this.outputShape] : xs[0].shape;
    if (this.op === 'Add' && !broadcasts) return xs.slice(1).reduce((acc, x) => add(acc, x), xs[0]);
    const inputs = xs.map((x, k) => this.expanded(x, k));
    const out = new Float32Array(inputs[0]);
    const size = out.length;
    for (let k = 1; k < inputs.length; k++) {
      const v = inputs[k];
      switch (this.op) {
        case 'Add':
        case 'Average':
          for (let i = 0; i < size; i++) out[i] += v[i];
          break;
        case 'Subtract':
          for (let i = 0; i < size; i++) out[i] -= v[i];
          break;
        case 'Multiply':
          for (let i = 0; i < size; i++) out[i] *= v[i];
          break;
        case 'Maximum':
          for (let i = 0; i < size; i++) if (v[i] > out[i]) out[i] = v[i];
          break;
        case 'Minimum':
          for (let i = 0; i < size; i++) if (v[i] < out[i]) out[i] = v[i];
          break;
      }
    }
    if (this.op === 'Average') for (let i = 0; i < size; i++) out[i] /= inputs.length;
    return new Tensor(shape, out);
  }

  split(r: Tensor, record: LayerRecord): Tensor[] {
    const n = r.shape[0];
    const count = record.inputs.length;
    const size = r.size;
    switch (this.op) {
      case 'Add':
        return record.inputs.map((_, k) => this.reduced(r.data, k, n));
      case 'Average': {
        const scaled = r.data.map((v) => v / count);
        return record.inputs.map((_, k) => this.reduced(scaled, k, n));
      }
      case 'Subtract':
        return [this.reduced(r.data, 0, n), this.reduced(r.data.map((v) => -v), 1, n)];
      case 'Multiply': {
        const inputs = record.inputs.map((x, k) => this.expanded(x, k));
        return inputs.map((_, k) => {
          const g = new Float32Array(r.data);
          for (let j = 0; j < inputs.length; j++) if (j !== k) for (let i = 0; i < size; i++) g[i] *= inputs[j][i];
          return this.reduced(g, k, n);
        });
      }
      case 'Maximum':
      case 'Minimum': {
        const inputs = record.inputs.map((x, k) => this.expanded(x, k));
        const winner = new Int32Array(size);
        for (let k = 1; k < inputs.length; k++) {
          for (let i = 0; i < size; i++) {
            const v = inputs[k][i];
            const best = inputs[winner[i]][i];
            if (this.op === 'Maximum' ? v > best : v < best) winner[i] = k;
          }
        }
        return inputs.map((_, k) => {
          const g = new Float32Array(size);
          for (let i = 0; i < size; i++) if (winner[i] === k) g[i] = r.data[i];
          return this.reduced(g, k, n);
        });
      }
    }
  }
}

/** Keras Concatenate along one axis of the per-sample channels-first tensor; each input gets its slice back. */
export class ConcatenateLayer extends MergeLayer {
  constructor(name: string, readonly axis: number, inputShapes: readonly (readonly number[])[]) {
    const out = [...inputShapes[0]];
    out[axis] = inputShapes.reduce((s, shape) => s + shape[axis], 0);
    super(name, 'Concatenate', inputShapes, out);
  }

  /** Rows of the concatenation of batched tensors shaped `shapes`: the product of the axes before `axis` (the batch included). */
  private blocks(shapes: readonly (readonly number[])[]): { outer: number; widths: number[]; total: number } {
    const outer = sizeOf(shapes[0].slice(0, this.axis + 1));
    const widths = shapes.map((s) => sizeOf(s.slice(this.axis + 1)));
    return { outer, widths, total: widths.reduce((a, b) => a + b, 0) };
  }

  /** The inputs may be crops of the maps, equal but for the axis (incremental occlusion's patches). */
  merge(xs: readonly Tensor[]): Tensor {
    const { outer, widths, total } = this.blocks(xs.map((x) => x.shape));
    const shape = [...xs[0].shape];
    shape[this.axis + 1] = xs.reduce((s, x) => s + x.shape[this.axis + 1], 0);
    const out = Tensor.zeros(shape);
    let offset = 0;
    xs.forEach((x, k) => {
      const w = widths[k];
      for (let o = 0; o < outer; o++) out.data.set(x.data.subarray(o * w, (o + 1) * w), o * total + offset);
      offset += w;
    });
    return out;
  }

  split(r: Tensor): Tensor[] {
    const n = r.shape[0];
    const { outer, widths, total } = this.blocks(this.inputShapes.map((s) => [n, ...s]));
    let offset = 0;
    return this.inputShapes.map((shape, k) => {
      const w = widths[k];
      const g = Tensor.zeros([n, ...shape]);
      for (let o = 0; o < outer; o++) g.data.set(r.data.subarray(o * total + offset, o * total + offset + w), o * w);
      offset += w;
      return g;
    });
  }
}

export function describeShapes(shapes: readonly (readonly number[])[]): string {
  return shapes.map((s) => formatShape(s)).join(', ');
}
