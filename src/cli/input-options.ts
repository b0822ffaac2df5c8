import { numberOption, numberList } from './args.ts';
import { readModelInput } from '../node/inputs.ts';
import type { Model } from '../model/model.ts';
import type { Tensor } from '../tensor.ts';

/** The image preprocessing options every command that takes an input accepts. */
export const inputOptionSpecs = {
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
} as const;

export async function readInputFor(path: string, model: Model, values: { scale?: string; mean?: string; std?: string }): Promise<Tensor> {
  const x = await readModelInput(path, model.inputShape, {
    scale: numberOption(values.scale, 'scale', 1),
    mean: numberList(values.mean, 'mean'),
    std: numberList(values.std, 'std'),
  });
  model.toBatch(x); // a wrong shape fails here with the shapes named, before any work
  return x;
}
