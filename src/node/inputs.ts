import { readImageTensor as imageFromSource, type ImageInputOptions, type ImageSource } from '../io/image-input.ts';
import { modelInputFromBytes, type InputOptions } from '../io/model-input.ts';
import { parseNpy, parseNpyTensor, toNpy, type NpyArray } from '../io/npy.ts';
import type { Tensor } from '../tensor.ts';
import { readRegularFile } from './files.ts';
import { checkOptions, checkString, checkTensor } from '../check.ts';
import { writeFileAtomic } from './atomic-write.ts';

/**
 * Reads a PNG or JPEG image as a model input of shape (channels, height, width): from a path, or
 * from anything the core's readImageTensor takes (bytes, RGBA pixels).
 *
 *   const x = readImageTensor('digit.png', { channels: 1, height: 28, width: 28 });
 */
export function readImageTensor(source: string | ImageSource, opts: ImageInputOptions): Tensor {
  if (typeof source !== 'string') return imageFromSource(source, opts);
  const options = checkOptions(opts, 'the image options');
  return imageFromSource(readRegularFile(source), { ...options, name: options.name ?? source });
}

/** A model input from a file: a .npy tensor, or a PNG/JPEG image fitted to the model's input shape. */
export async function readModelInput(path: string, inputShape: readonly number[], opts: InputOptions = {}): Promise<Tensor> {
  const options = checkOptions(opts, 'the input options');
  return modelInputFromBytes(readRegularFile(path), inputShape, { ...options, name: options.name ?? path });
}

export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(readRegularFile(path), path);
}

/** Reads a .npy file as a float32 Tensor, converting other dtypes. */
export async function readNpyTensor(path: string): Promise<Tensor> {
  return parseNpyTensor(readRegularFile(path), path);
}

/** Writes a tensor as float32 .npy, atomically: a temporary file in the same folder, then a rename. */
export async function writeNpy(path: string, tensor: Tensor): Promise<void> {
  checkString(path, 'the .npy path');
  checkTensor(tensor, 'the tensor to write');
  writeFileAtomic(path, toNpy(tensor.shape, tensor.data));
}
