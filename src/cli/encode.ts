import { toNpy } from '../io/npy.ts';
import { encodePicture, type Canvas } from '../io/png-output.ts';
import type { Tensor } from '../tensor.ts';

export function isNpy(path: string): boolean {
  return path.toLowerCase().endsWith('.npy');
}

/** The bytes of an output that is either the raw tensor (.npy) or a picture of it (.png, .jpg). */
export function tensorOrPicture(path: string, tensor: Tensor, picture: () => Canvas): Uint8Array {
  return isNpy(path) ? toNpy(tensor.shape, tensor.data) : encodePicture(path, picture());
}
