import { defaultModelPath } from '../package-root.ts';
import type { Model } from '../model/model.ts';
import { loadModel } from './load-model.ts';

/** The folder of the MNIST CNN that convscope ships (weights/mnist-cnn/: model.json, weights.bin, licence). */
export function shippedModelPath(): string {
  return defaultModelPath();
}

/** The shipped MNIST CNN: 1x28x28 inputs of 0..255, ten classes. */
export function loadShippedModel(): Promise<Model> {
  return loadModel(defaultModelPath());
}
