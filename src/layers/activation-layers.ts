import { Tensor, sizeOf } from '../tensor.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { broadcastIndexOf } from './broadcast.ts';
import { Layer, type GradientOptions, type Gradients, type LayerRecord, type LinearResult } from './layer.ts';
import { IdentityLayer } from './shape-layers.ts';
import { applyPointwise, pointwiseBackward, type Pointwise } from './pointwise.ts';

/**
 * An activation layer with parameters (Keras ReLU, LeakyReLU, ELU, ThresholdedReLU): the identity
 * followed by an element-wise function. Its record's z is its input.
 */
export class ElementwiseLayer extends IdentityLayer {
  constructor(name: string, type: string, inputShape: readonly number[], readonly fn: Pointwise) {
    super(name, type, inputShape);
  }

  override forward(x: Tensor): LayerRecord {
    return { inputs: [x], input: x, z: x, output: applyPointwise(this.fn, x), switches: null };
  }

  override backward(r: Tensor, record: LayerRecord, rule: ReluRule): Tensor {
    return pointwiseBackward(this.fn, rule, r, record.z, record.output);
  }
}

/**
 * Keras PReLU: x for x > 0, alpha * x otherwise, with a learned alpha per position, broadcast
 * over the axes it shares (alpha is channels-first, of the input's rank, 1 on a shared axis).
 * Not ReLU-like: DeconvNet passes the signal unchanged, the others multiply by 1 or alpha.
 */
export class PReLULayer extends Layer {
  /** For each value of one sample, the index of its alpha. */
  private readonly alphaIndex: Int32Array;

  constructor(name: string, inputShape: readonly number[], readonly alpha: Tensor) {
    super(name, 'PReLU', inputShape, inputShape);
    this.alphaIndex = broadcastIndexOf(inputShape, alpha.shape);
  }

  override get weights(): Record<string, Tensor> {
    return { alpha: this.alpha };
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: x };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return r;
  }

  override forward(x: Tensor): LayerRecord {
    return { inputs: [x], input: x, z: x, output: this.map(x, x), switches: null };
  }

  override backward(r: Tensor, record: LayerRecord, rule: ReluRule): Tensor {
    return rule === 'deconvnet' ? r : this.map(r, record.z);
  }

  /** alpha's gradient: the sum of dy * x over the values where x <= 0 that share each alpha. */
  override gradients(dy: Tensor, record: LayerRecord, options: GradientOptions): Gradients {
    const alpha = new Float64Array(this.alpha.size);
    const per = this.alphaIndex.length;
    const x = record.z.data;
    for (let i = 0; i < dy.size; i++) if (!(x[i] > 0)) alpha[this.alphaIndex[i % per]] += dy.data[i] * x[i];
    return {
      inputs: options.inputs ? [this.map(dy, record.z)] : [],
      weights: { alpha: new Tensor(this.alpha.shape, Float32Array.from(alpha)) },
    };
  }

  /** v where z > 0, alpha * v elsewhere (forward: v = z; backward: v = the signal). */
  private map(v: Tensor, z: Tensor): Tensor {
    const out = Tensor.zeros(v.shape);
    const per = this.alphaIndex.length;
    const alpha = this.alpha.data;
    for (let i = 0; i < out.size; i++) out.data[i] = z.data[i] > 0 ? v.data[i] : alpha[this.alphaIndex[i % per]] * v.data[i];
    return out;
  }
}


/**
 * Keras Softmax over one axis of a (C, H, W) map (axis 0: across channels at each pixel, what
 * Keras's default axis -1 means for channels_last). Not element-wise: every backward net maps
 * the signal by its Jacobian transpose, a * (r - sum over the axis of r * a). A Softmax over a
 * vector is built as the softmax activation instead (class saliency then starts at its logits).
 */
export class SoftmaxLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], readonly axis: number) {
    super(name, 'Softmax', inputShape, inputShape);
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: x };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return r;
  }

  override forward(x: Tensor): LayerRecord {
    const y = Tensor.zeros(x.shape);
    this.lines(x.shape[0], (base, step, len) => {
      let max = -Infinity;
      for (let j = 0; j < len; j++) max = Math.max(max, x.data[base + j * step]);
      let sum = 0;
      for (let j = 0; j < len; j++) {
        const e = Math.exp(x.data[base + j * step] - max);
        y.data[base + j * step] = e;
        sum += e;
      }
      for (let j = 0; j < len; j++) y.data[base + j * step] /= sum;
    });
    return { inputs: [x], input: x, z: x, output: y, switches: null };
  }

  override backward(r: Tensor, record: LayerRecord, _rule: ReluRule): Tensor {
    const a = record.output;
    const out = Tensor.zeros(r.shape);
    this.lines(r.shape[0], (base, step, len) => {
      let dot = 0;
      for (let j = 0; j < len; j++) dot += r.data[base + j * step] * a.data[base + j * step];
      for (let j = 0; j < len; j++) out.data[base + j * step] = a.data[base + j * step] * (r.data[base + j * step] - dot);
    });
    return out;
  }

  /** Calls visit once per line along the axis, over n samples: its first index, the stride between its values, its length. */
  private lines(n: number, visit: (base: number, step: number, len: number) => void): void {
    const shape = this.inputShape;
    const len = shape[this.axis];
    const inner = sizeOf(shape.slice(this.axis + 1));
    const outer = n * sizeOf(shape.slice(0, this.axis));
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) visit(o * len * inner + i, inner, len);
  }
}
