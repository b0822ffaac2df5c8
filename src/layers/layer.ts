import { Tensor, sizeOf } from '../tensor.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { applyActivation, activationBackward, type ActivationName } from './activation-fns.ts';

/** What one layer's forward pass keeps for the backward nets. All tensors are batched (N, ...). */
export interface LayerRecord {
  input: Tensor;
  /** The pre-activation; the same tensor as output when the activation is linear. */
  z: Tensor;
  output: Tensor;
  /** Max pooling's switches (indices within each input plane), when the layer has them. */
  switches: Int32Array | null;
}

export interface LinearResult {
  z: Tensor;
  switches?: Int32Array;
}

/**
 * A Keras layer as the engine runs it: channels-first, shapes per sample (without the batch
 * axis). Each subclass carries its forward rule and the adjoint of its linear part; the fused
 * activation (Conv2D, Dense, Activation) is handled here.
 */
export abstract class Layer {
  constructor(
    readonly name: string,
    readonly type: string,
    readonly inputShape: readonly number[],
    readonly outputShape: readonly number[],
    readonly activation: ActivationName = 'linear',
  ) {}

  /** Weights by name, channels-first. */
  get weights(): Record<string, Tensor> {
    return {};
  }

  get paramCount(): number {
    return Object.values(this.weights).reduce((n, t) => n + t.size, 0);
  }

  /** The layer's linear (or pooling) part: x (N, ...inputShape) to z (N, ...outputShape). */
  abstract forwardLinear(x: Tensor): LinearResult;

  /** The adjoint of forwardLinear (for pooling: the unpooling rule), applied to a signal shaped like z. */
  abstract backwardLinear(r: Tensor, record: LayerRecord): Tensor;

  forward(x: Tensor): LayerRecord {
    const { z, switches } = this.forwardLinear(x);
    return { input: x, z, output: applyActivation(this.activation, z), switches: switches ?? null };
  }

  /** Maps a signal on this layer's output down to its input by a backward net's rule. */
  backward(r: Tensor, record: LayerRecord, rule: ReluRule): Tensor {
    return this.backwardLinear(activationBackward(this.activation, rule, r, record.z, record.output), record);
  }

  protected batchShape(n: number, shape: readonly number[]): number[] {
    return [n, ...shape];
  }

  protected perSample(x: Tensor): number {
    return sizeOf(x.shape.slice(1));
  }
}
