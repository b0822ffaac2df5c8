import * as assert from 'uvu/assert';

/** The outputs real Keras computed for the fixtures of a folder (reference.json), by model file. */
export interface KerasReference {
  keras_version: string;
  models: Record<string, { input_shape: number[]; input: number[]; outputs: Record<string, { shape: number[]; values: number[] }> }>;
}

/** Keras's (H, W, C) order of a channels_last map as the engine's (C, H, W); anything else as it is. */
export function engineOrder(values: number[], shape: number[], channelsLast = true): { shape: number[]; data: Float32Array } {
  if (shape.length !== 3 || !channelsLast) return { shape, data: Float32Array.from(values) };
  const [h, w, c] = shape;
  const data = new Float32Array(values.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(k * h + y) * w + x] = values[(y * w + x) * c + k];
  return { shape: [c, h, w], data };
}

/** SEMANTICS.md's tolerance: max|out - ref| <= 1e-4 * max|ref| + 1e-6. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.is(actual.length, expected.length, `${what}: size`);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
    maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(maxErr <= 1e-4 * maxRef + 1e-6, `${what}: max error ${maxErr} (max |ref| ${maxRef})`);
}
