import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { root } from '../helpers/cli.ts';
import { float32Bytes, npyDict, npyFile } from './formats.ts';

/** The real files the fuzz suite mutates: the shipped model, the shipped .h5, the digit as PNG, JPEG and .npy. */
export interface Seeds {
  modelJson: string;
  weightsBin: Uint8Array;
  /** The shared MNIST .h5 (../shared/data beside the clone), or undefined where it is absent. */
  h5: Uint8Array | undefined;
  h5Path: string;
  png: Uint8Array;
  jpeg: Uint8Array;
  npy: Uint8Array;
  /** The digit's 784 grey values, 0..255. */
  pixels: Float32Array;
}

export const H5_PATH = join(root, '..', 'shared', 'data', 'mnist_model.h5');

let cached: Seeds | undefined;

export function seeds(): Seeds {
  if (cached) return cached;
  const model = join(root, 'weights', 'mnist-cnn');
  const png = new Uint8Array(readFileSync(join(root, 'examples', 'digit-7.png')));
  const decoded = PNG.sync.read(Buffer.from(png));
  const pixels = Float32Array.from({ length: decoded.width * decoded.height }, (_, i) => decoded.data[4 * i]);
  const encoded = jpeg.encode({ data: decoded.data, width: decoded.width, height: decoded.height }, 90).data;
  cached = {
    modelJson: readFileSync(join(model, 'model.json'), 'utf8'),
    weightsBin: new Uint8Array(readFileSync(join(model, 'weights.bin'))),
    h5: existsSync(H5_PATH) ? new Uint8Array(readFileSync(H5_PATH)) : undefined,
    h5Path: H5_PATH,
    png,
    jpeg: new Uint8Array(encoded),
    npy: npyFile(npyDict("'<f4'", 'False', '(1, 28, 28)'), float32Bytes(pixels)),
    pixels,
  };
  return cached;
}
