import { Tensor, sizeOf } from '../tensor.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { applyActivation, activationBackward, type ActivationName } from './activation-fns.ts';

/** What a training step's forward pass gives every node: the seeded generator its noise (dropout masks) comes from. */
export interface TrainMode {
  /** Uniform in [0, 1), seeded: the same seed gives the same masks. */
  random: () => number;
  /** false runs Dropout and the noise layers as the identity (the golden tests' fixed batch). */
  dropout: boolean;
  /** Nodes that run as at inference while training (Keras 2: a frozen BatchNormalization). */
  inference?: ReadonlySet<string>;
}

/** What a node's training gradients are: one signal per input and one gradient per trainable weight. */
export interface Gradients {
  inputs: Tensor[];
  weights: Record<string, Tensor>;
}

export interface GradientOptions {
  /** Whether the signals on the inputs are needed (false for a node that only the model's input feeds). */
  inputs: boolean;
  /** Whether dy is already the gradient on z, the pre-activation (the fused softmax cross-entropy). */
  onLogits: boolean;
}

/** What one layer's forward pass keeps for the backward nets. All tensors are batched (N, ...). */
export interface LayerRecord {
  /** The tensors the node took, in order (one but for merge layers). */
  inputs: Tensor[];
  /** inputs[0]. */
  input: Tensor;
  /** The pre-activation; the same tensor as output when the activation is linear. */
  z: Tensor;
  output: Tensor;
  /** Max pooling's switches (indices within each input plane), when the layer has them. */
  switches: Int32Array | null;
  /** What a training forward keeps for its gradients (batch norm's batch statistics, a dropout mask). */
  saved?: Record<string, Tensor>;
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
  /** One shape per input, per sample; one but for merge layers. */
  readonly inputShapes: readonly (readonly number[])[];

  constructor(
    readonly name: string,
    readonly type: string,
    readonly inputShape: readonly number[],
    readonly outputShape: readonly number[],
    readonly activation: ActivationName = 'linear',
  ) {
    this.inputShapes = [inputShape];
  }

  /** Weights by name, channels-first. */
  get weights(): Record<string, Tensor> {
    return {};
  }

  get paramCount(): number {
    return Object.values(this.weights).reduce((n, t) => n + t.size, 0);
  }

  /** The weights a training step changes (Keras's trainable weights); by default all of them. */
  get trainableWeights(): Record<string, Tensor> {
    return this.weights;
  }

  /** The layer's linear (or pooling) part: x (N, ...inputShape) to z (N, ...outputShape). */
  abstract forwardLinear(x: Tensor): LinearResult;

  /** The adjoint of forwardLinear (for pooling: the unpooling rule), applied to a signal shaped like z. */
  abstract backwardLinear(r: Tensor, record: LayerRecord): Tensor;

  forward(x: Tensor): LayerRecord {
    const { z, switches } = this.forwardLinear(x);
    return { inputs: [x], input: x, z, output: applyActivation(this.activation, z), switches: switches ?? null };
  }

  /** Maps a signal on this layer's output down to its input by a backward net's rule. */
  backward(r: Tensor, record: LayerRecord, rule: ReluRule): Tensor {
    return this.backwardLinear(activationBackward(this.activation, rule, r, record.z, record.output), record);
  }

  /** Runs the node on the tensors it takes (as a graph does; one for this class). */
  forwardAll(xs: readonly Tensor[]): LayerRecord {
    return this.forward(xs[0]);
  }

  /**
   * Maps a signal on the node's output to one signal per input. With `skipActivation` the
   * signal is taken to be on the pre-activation (how class saliency starts at a softmax).
   */
  backwardAll(r: Tensor, record: LayerRecord, rule: ReluRule, skipActivation = false): Tensor[] {
    return [skipActivation ? this.backwardLinear(r, record) : this.backward(r, record, rule)];
  }

  /** forwardAll in training mode: the same but for layers that act differently while training (dropout, batch norm). */
  forwardTrain(xs: readonly Tensor[], _mode: TrainMode): LayerRecord {
    return this.forwardAll(xs);
  }

  /**
   * The exact gradients for dy, the gradient of the loss on the node's output (on its
   * pre-activation with `onLogits`): on each input, and on each trainable weight.
   */
  gradients(dy: Tensor, record: LayerRecord, options: GradientOptions): Gradients {
    // SaliNet's rule is the gradient; a layer without weights may map it in its own way (an activation layer).
    if (Object.keys(this.trainableWeights).length === 0) {
      return { inputs: options.inputs ? this.backwardAll(dy, record, 'salinet', options.onLogits) : [], weights: {} };
    }
    const dz = options.onLogits ? dy : activationBackward(this.activation, 'salinet', dy, record.z, record.output);
    return { inputs: options.inputs ? [this.backwardLinear(dz, record)] : [], weights: this.weightGradients(dz, record) };
  }

  /** The gradients of the trainable weights for dz, the gradient on z. */
  protected weightGradients(_dz: Tensor, _record: LayerRecord): Record<string, Tensor> {
    return {};
  }

  /** Called after a training step changed the weights in place: refreshes what was derived from them. */
  weightsChanged(): void {}

  protected batchShape(n: number, shape: readonly number[]): number[] {
    return [n, ...shape];
  }

  protected perSample(x: Tensor): number {
    return sizeOf(x.shape.slice(1));
  }
}

/**
 * A layer that takes several tensors (Add, Concatenate, ...): it merges them forward and splits a
 * signal back into one per input. It applies no activation.
 */
export abstract class MergeLayer extends Layer {
  override readonly inputShapes: readonly (readonly number[])[];

  constructor(name: string, type: string, inputShapes: readonly (readonly number[])[], outputShape: readonly number[]) {
    super(name, type, inputShapes[0], outputShape);
    this.inputShapes = inputShapes;
  }

  abstract merge(xs: readonly Tensor[]): Tensor;

  /** The signal on each input, for a signal r on the output (SEMANTICS.md's merge rules). */
  abstract split(r: Tensor, record: LayerRecord): Tensor[];

  override forwardAll(xs: readonly Tensor[]): LayerRecord {
    const z = this.merge(xs);
    return { inputs: [...xs], input: xs[0], z, output: z, switches: null };
  }

  override backwardAll(r: Tensor, record: LayerRecord): Tensor[] {
    return this.split(r, record);
  }

  override gradients(dy: Tensor, record: LayerRecord, options: GradientOptions): Gradients {
    return { inputs: options.inputs ? this.split(dy, record) : [], weights: {} };
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: this.merge([x]) };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    return this.split(r, record)[0];
  }
}
