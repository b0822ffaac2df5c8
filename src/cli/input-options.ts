import { numberOption, numberList } from './args.ts';
import { type InputOptions } from '../io/model-input.ts';
import { readModelInput } from '../node/inputs.ts';
import type { Model } from '../model/model.ts';
import type { Tensor } from '../tensor.ts';

/** The image preprocessing options every command that takes an input accepts. */
export const inputOptionSpecs = {
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  'allow-nonfinite': { type: 'boolean' },
} as const;

export const inputOptionsHelp = `Input options: for an image, --scale X (pixels 0..255 times X, default 1), then
--mean a,b,c --std a,b,c ((x - mean) / std per channel); negative numbers may follow the
option directly (--scale -1). --allow-nonfinite accepts NaN or Infinity in the input.`;

export interface InputOptionValues {
  scale?: string;
  mean?: string;
  std?: string;
  'allow-nonfinite'?: boolean;
}

export async function readInputFor(path: string, model: Model, values: InputOptionValues): Promise<Tensor> {
  const options: InputOptions & { allowNonFinite?: boolean } = {
    scale: numberOption(values.scale, 'scale', 1),
    mean: numberList(values.mean, 'mean'),
    std: numberList(values.std, 'std'),
    allowNonFinite: values['allow-nonfinite'] === true,
  };
  const x = await readModelInput(path, model.inputShape, options);
  model.toBatch(x); // a wrong shape fails here with the shapes named, before any work
  return x;
}
