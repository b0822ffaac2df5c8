import { parseNpyTensor } from './npy.ts';
import { readImageTensor } from './image-input.ts';
import { ConvscopeError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';

export interface InputOptions {
  /** Pixel values 0..255 are multiplied by this (default 1: the MNIST model takes 0..255). */
  scale?: number;
  mean?: number[];
  std?: number[];
  /** Names the input in messages (its file name); default 'input'. */
  name?: string;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * A model input from a file's bytes: a `.npy` tensor as it is ((C,H,W) or (N,C,H,W),
 * channels-first), or a PNG/JPEG image converted to the model's channel count and size, then
 * scaled. The format comes from the magic bytes, not the name.
 */
export function modelInputFromBytes(bytes: Uint8Array, inputShape: readonly number[], opts: InputOptions = {}): Tensor {
  const name = opts.name ?? 'input';
  if (NPY_MAGIC.every((b, i) => bytes[i] === b)) return parseNpyTensor(bytes, name);
  if (inputShape.length !== 3 || (inputShape[0] !== 1 && inputShape[0] !== 3)) {
    throw new ConvscopeError('E_SHAPE', `${name}: the model takes ${inputShape.join('x')} inputs, not images; give a .npy file`);
  }
  return readImageTensor(bytes, { channels: inputShape[0] as 1 | 3, height: inputShape[1], width: inputShape[2], ...opts, name });
}
