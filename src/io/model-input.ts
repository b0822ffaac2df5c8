import { readNpyTensor } from './npy.ts';
import { readImageTensor } from './image-input.ts';
import type { Tensor } from '../tensor.ts';

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
export async function readModelInput(path: string, inputShape: readonly number[], opts: InputOptions = {}): Promise<Tensor> {
  if (path.toLowerCase().endsWith('.npy')) return readNpyTensor(path);
  if (inputShape.length !== 3 || (inputShape[0] !== 1 && inputShape[0] !== 3)) {
    throw new Error(`${path}: the model takes ${inputShape.join('x')} inputs, not images; give a .npy file`);
  }
  return readImageTensor(path, { channels: inputShape[0] as 1 | 3, height: inputShape[1], width: inputShape[2], ...opts });
}
