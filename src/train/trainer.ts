import { Tensor, formatShape } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { argumentError, checkBoolean, checkChoice, checkInteger, checkNumber, checkOptions, describe } from '../check.ts';
import { seededRandom } from '../methods/random.ts';
import type { Model, ForwardResult } from '../model/model.ts';
import { backpropagate } from './backprop.ts';
import { frozenNodes } from './frozen.ts';
import { softmaxCrossEntropy } from './loss.ts';
import { OPTIMIZERS, SCHEDULES, Optimizer, type OptimizerOptions } from './optimizers.ts';

export interface TrainerOptions extends OptimizerOptions {
  /** Seeds the dropout masks; default 1. */
  seed?: number;
  /** false runs Dropout and the noise layers as the identity while training; default true. */
  dropout?: boolean;
}

export interface StepResult {
  /** The batch's mean softmax cross-entropy. */
  loss: number;
  /** How many of the batch's samples the training forward classified right. */
  correct: number;
}

/** A trainable weight of the model: the first node that holds it, its Keras short name, the tensor. */
export interface TrainableWeight {
  layer: string;
  name: string;
  tensor: Tensor;
}

/** Every trainable weight once (a shared layer's calls hold the same tensors), in node order; a frozen layer's (Keras `trainable: false`) left out. */
export function trainableWeights(model: Model): TrainableWeight[] {
  const seen = new Set<Tensor>();
  const list: TrainableWeight[] = [];
  const frozen = frozenNodes(model);
  for (const layer of model.layers) {
    if (frozen.has(layer.name)) continue;
    for (const [name, tensor] of Object.entries(layer.trainableWeights)) {
      if (seen.has(tensor)) continue;
      seen.add(tensor);
      list.push({ layer: layer.name, name, tensor });
    }
  }
  return list;
}

/**
 * The number of classes of a model train can fit, or a one-line error: its output is a vector of
 * class scores, softmax or linear (logits), and some layer has weights to train.
 */
export function classifierClasses(model: Model): number {
  const output = model.layers[model.outputIndex];
  if (output.outputShape.length !== 1) {
    throw new ConvscopeError('E_UNSUPPORTED', `train fits classifiers: the output '${output.name}' gives ${formatShape(output.outputShape)} per sample, not a vector of class scores`);
  }
  if (output.activation !== 'softmax' && output.activation !== 'linear') {
    throw new ConvscopeError('E_UNSUPPORTED', `train fits classifiers with a softmax or linear (logits) output; the output '${output.name}' ends in ${output.activation}`);
  }
  if (trainableWeights(model).length === 0) {
    const why = model.layers.some((l) => Object.keys(l.trainableWeights).length > 0) ? 'every layer with weights is frozen (Keras trainable: false)' : `its layers are ${[...new Set(model.layers.map((l) => l.type))].join(', ')}`;
    throw new ConvscopeError('E_UNSUPPORTED', `the model has no trainable layer (no weights a training step could change): ${why}`);
  }
  return output.outputShape[0];
}

/**
 * Trains a classifier in place, one batch at a time: a forward pass in training mode, softmax
 * cross-entropy on the logits of the model's output (the pre-activation of a softmax output,
 * else the output itself, taken as logits), the exact gradients, one step of a Keras 2
 * optimiser (SEMANTICS.md "Training").
 *
 *   const trainer = new Trainer(model, { optimizer: 'sgd', learningRate: 0.05, momentum: 0.9 });
 *   const { loss, correct } = trainer.step(xBatch, labels);
 */
export class Trainer {
  readonly optimizer: Optimizer;
  readonly classes: number;
  private readonly random: () => number;
  private readonly dropout: boolean;
  private readonly onLogits: boolean;
  /** The weights of layers Keras marks `trainable: false`, and the frozen nodes that run as at inference. */
  private readonly frozenWeights: ReadonlySet<Tensor>;
  private readonly inference: ReadonlySet<string>;

  constructor(readonly model: Model, options: TrainerOptions = {}) {
    const opts = checkTrainerOptions(options);
    this.classes = classifierClasses(model);
    const frozen = frozenNodes(model);
    const frozenLayers = model.layers.filter((l) => frozen.has(l.name));
    this.frozenWeights = new Set(frozenLayers.flatMap((l) => Object.values(l.trainableWeights)));
    // A frozen BatchNormalization runs as at inference, as in Keras 2 (TensorFlow 2).
    this.inference = new Set(frozenLayers.filter((l) => l.type === 'BatchNormalization').map((l) => l.name));
    this.onLogits = model.layers[model.outputIndex].activation === 'softmax';
    this.optimizer = new Optimizer(opts);
    this.random = seededRandom(opts.seed ?? 1);
    this.dropout = opts.dropout ?? true;
  }

  /** The batch's loss and the gradient of every trainable weight (keyed by the weight tensor), without a step. */
  lossAndGradients(x: Tensor, y: Int32Array): StepResult & { gradients: Map<Tensor, Tensor>; forward: ForwardResult } {
    const result = this.backward(x, y);
    this.refresh(); // batch norm's moving statistics moved
    return result;
  }

  /** One optimiser step on the batch x (N, ...) with labels y; the weights change in place. */
  step(x: Tensor, y: Int32Array): StepResult {
    const { loss, correct, gradients } = this.backward(x, y);
    this.optimizer.step(gradients);
    this.refresh();
    return { loss, correct };
  }

  /** The training forward, the loss and the gradients; what the layers derive from their weights is left stale. */
  private backward(x: Tensor, y: Int32Array): StepResult & { gradients: Map<Tensor, Tensor>; forward: ForwardResult } {
    const { batch } = this.model.toBatch(x);
    checkLabels(y, batch.shape[0], this.classes);
    const forward = this.model.run(batch, this.model.outputIndex, true, { random: this.random, dropout: this.dropout, inference: this.inference });
    const record = forward.records.get(this.model.output)!;
    const { loss, gradient, correct } = softmaxCrossEntropy(this.onLogits ? record.z : record.output, y);
    if (!Number.isFinite(loss)) throw new ConvscopeError('E_NONFINITE', `the loss became ${loss}: training diverged (try a smaller learning rate)`);
    const gradients = backpropagate(this.model, forward, gradient, { onLogits: this.onLogits, frozen: this.frozenWeights });
    return { loss, correct, gradients, forward };
  }

  /** Lets every layer refresh what it derived from its weights (batch norm's folded scale). */
  private refresh(): void {
    for (const layer of this.model.layers) layer.weightsChanged();
  }
}

function checkTrainerOptions(options: TrainerOptions): TrainerOptions {
  const o = checkOptions(options);
  if (o.optimizer !== undefined) checkChoice(o.optimizer, 'optimizer', OPTIMIZERS);
  if (o.learningRate !== undefined) checkNumber(o.learningRate, 'learningRate', { above: 0 });
  if (o.momentum !== undefined) checkNumber(o.momentum, 'momentum', { min: 0, max: 1 });
  if (o.beta1 !== undefined) checkNumber(o.beta1, 'beta1', { min: 0, max: 1 });
  if (o.beta2 !== undefined) checkNumber(o.beta2, 'beta2', { min: 0, max: 1 });
  if (o.epsilon !== undefined) checkNumber(o.epsilon, 'epsilon', { min: 0 });
  if (o.weightDecay !== undefined) checkNumber(o.weightDecay, 'weightDecay', { min: 0 });
  if (o.seed !== undefined) checkInteger(o.seed, 'seed', 0, 2 ** 32 - 1);
  if (o.schedule !== undefined) checkChoice(o.schedule, 'schedule', SCHEDULES);
  if (o.decaySteps !== undefined) checkInteger(o.decaySteps, 'decaySteps', 0);
  checkBoolean(o.nesterov, 'nesterov');
  checkBoolean(o.dropout, 'dropout');
  return o;
}

/** Labels: an Int32Array of `n` class indices, each in [0, classes). */
export function checkLabels(y: unknown, n: number, classes: number, name = 'the labels'): asserts y is Int32Array {
  if (!(y instanceof Int32Array)) throw argumentError(`${name} must be an Int32Array of class indices, not ${describe(y)}`);
  if (y.length !== n) throw new ConvscopeError('E_SHAPE', `there are ${n} inputs but ${y.length} labels; give one label per input`);
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0 || y[i] >= classes) {
      throw argumentError(`label ${y[i]} (of sample ${i}) is out of range: the model has ${classes} classes, so labels run from 0 to ${classes - 1}`);
    }
  }
}
