import { Model } from '../model/model.ts';
import { ConvscopeError } from '../errors.ts';
import type { Layer } from '../layers/layer.ts';
import { argumentError, checkOptions, checkTensor, describe } from '../check.ts';

/** The arguments every method shares, checked in one place: (model, input, options). */

export function checkModel(value: unknown): asserts value is Model {
  if (!(value instanceof Model)) throw argumentError(`the model must be a Model (what loadModel returns), not ${describe(value)}`);
}

/**
 * The model, the input tensor and the options object of a method call: the model a Model, the
 * input a Tensor of the model's input shape (one sample, or a batch where `batch` allows it), the
 * options an object. Returns the options. (model.forward then refuses NaN and Infinity.)
 */
export function checkMethodCall<T extends object>(model: unknown, input: unknown, options: T | undefined, batch: boolean): T {
  checkModel(model);
  checkTensor(input, 'the input');
  const opts = checkOptions(options);
  const { batch: x } = model.toBatch(input);
  if (!batch && x.shape[0] !== 1) throw new ConvscopeError('E_SHAPE', `give one input ${shapeText(model.inputShape)}, not a batch of ${x.shape[0]}`);
  return opts;
}

/** A layer of the model by name; the message lists the layers. */
export function checkLayer(model: Model, name: unknown, what = 'layer'): Layer {
  if (typeof name !== 'string') throw argumentError(`${what} must be the name of a layer, not ${describe(name)}; layers: ${model.layerNames().join(', ')}`);
  return model.layer(name);
}

/** A channel of a conv layer or a unit of a Dense layer: a whole number from 0 to its count - 1. */
export function checkChannel(layer: Layer, channel: unknown, what = 'channel'): number {
  const count = layer.outputShape[0];
  const kind = layer.outputShape.length === 1 ? 'units' : 'channels';
  if (channel === undefined) throw argumentError(`give a ${what} of layer '${layer.name}', from 0 to ${count - 1} (it has ${count} ${kind})`);
  if (!(typeof channel === 'number' && Number.isInteger(channel) && channel >= 0 && channel < count)) {
    throw argumentError(`${what} ${typeof channel === 'number' ? channel : describe(channel)} is out of range: layer '${layer.name}' has ${count} ${kind} (0..${count - 1})`);
  }
  return channel;
}

/** A class of the model's last layer: a whole number from 0 to the class count - 1. */
export function checkClass(model: Model, k: unknown): number {
  const classes = model.outputShape[0];
  if (!(typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < classes)) {
    throw argumentError(`class ${typeof k === 'number' ? k : describe(k)} is out of range; the model has ${classes} classes (0..${classes - 1})`);
  }
  return k;
}

function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}
