import type { Tensor } from '../tensor.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';
import { affineBroadcast, broadcastIndex } from './broadcast.ts';

/**
 * An element-wise affine map z = x * scale + shift, scale and shift broadcast over the sample
 * from a tensor whose other axes are 1: Keras's Rescaling (x * scale + offset) and Normalization
 * ((x - mean) / max(sqrt(variance), epsilon), or its inverse). Its gradient is its linear part,
 * so every backward net multiplies the signal by the scale.
 */
export class AffineLayer extends Layer {
  private readonly index: Int32Array;

  /** `scale`/`shift` have the input's rank, each axis its size or 1. */
  constructor(name: string, type: string, inputShape: readonly number[], readonly scale: Tensor, readonly shift: Tensor, private readonly own: Record<string, Tensor> = {}) {
    super(name, type, inputShape, inputShape);
    this.index = broadcastIndex(inputShape, scale.shape.map((d) => d > 1));
  }

  override get weights(): Record<string, Tensor> {
    return this.own;
  }

  /** Normalization's mean and variance are statistics, not trained (Keras: non-trainable). */
  override get trainableWeights(): Record<string, Tensor> {
    return {};
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: affineBroadcast(x, this.scale.data, this.shift.data, this.index) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return affineBroadcast(r, this.scale.data, null, this.index);
  }
}
