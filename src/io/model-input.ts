import { parseNpyTensor } from './npy.ts';
import { MAGIC, startsWith } from './magic.ts';
import { readImageTensor } from './image-input.ts';
import { ConvscopeError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { argumentError, checkOptions, describe } from '../check.ts';

export interface InputOptions {
  /** Pixel values 0..255 are multiplied by this (default 1: the MNIST model takes 0..255). */
  scale?: number;
  mean?: number[];
  std?: number[];
  /** Names the input in messages (its file name); default 'input'. */
  name?: string;
}

/**
 * A model input from a file's bytes: a `.npy` tensor as it is ((C,H,W) or (N,C,H,W),
 * channels-first), or a PNG/JPEG image converted to the model's channel count and size, then
 * scaled. The format comes from the magic bytes, not the name.
 */
export function modelInputFromBytes(bytes: Uint8Array, inputShape: readonly number[], options?: InputOptions): Tensor {
  const opts = checkOptions(options, 'the input options');
  const name = opts.name ?? 'input';
  if (!(bytes instanceof Uint8Array)) throw argumentError(`${String(name)}: the input must be a file's bytes (a Uint8Array), not ${describe(bytes)}`);
  if (!(Array.isArray(inputShape) && inputShape.every((d) => Number.isSafeInteger(d) && d > 0))) {
    throw argumentError(`the model's input shape must be an array of positive whole numbers (model.inputShape), not ${describe(inputShape)}`);
  }
  if (startsWith(bytes, MAGIC.npy)) return parseNpyTensor(bytes, name);
  if (inputShape.length !== 3 || (inputShape[0] !== 1 && inputShape[0] !== 3)) {
    throw new ConvscopeError('E_SHAPE', `${name}: the model takes ${inputShape.join('x')} inputs, not images; give a .npy file`);
  }
  return readImageTensor(bytes, { channels: inputShape[0] as 1 | 3, height: inputShape[1], width: inputShape[2], ...opts, name });
}
