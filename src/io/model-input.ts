import { readNpyTensor } from './npy.ts';
import { readImageTensor } from './image-input.ts';
import type { Tensor } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { argumentError, checkOptions, describe } from '../check.ts';

export interface InputOptions {
  /** Pixel values 0..255 are multiplied by this (default 1: the MNIST model takes 0..255). */
  scale?: number;
  mean?: number[];
  std?: number[];
}

/**
 * A model input from a file: `.npy` as it is ((C,H,W) or (N,C,H,W), channels-first), or a PNG/JPEG
 * image converted to the model's channel count and size, then scaled.
 */
export async function readModelInput(path: string, inputShape: readonly number[], options?: InputOptions): Promise<Tensor> {
  const opts = checkOptions(options, 'the input options');
  if (typeof path !== 'string' || path === '') throw argumentError(`the input file must be given as a path, not ${describe(path)}`);
  if (!(Array.isArray(inputShape) && inputShape.every((d) => Number.isSafeInteger(d) && d > 0))) {
    throw argumentError(`the model's input shape must be an array of positive whole numbers (model.inputShape), not ${describe(inputShape)}`);
  }
  if (path.toLowerCase().endsWith('.npy')) return readNpyTensor(path);
  if (inputShape.length !== 3 || (inputShape[0] !== 1 && inputShape[0] !== 3)) {
    throw new ConvscopeError('E_SHAPE', `${path}: the model takes ${inputShape.join('x')} inputs, not images; give a .npy file`);
  }
  return readImageTensor(path, { channels: inputShape[0] as 1 | 3, height: inputShape[1], width: inputShape[2], ...opts });
}
