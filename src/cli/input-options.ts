import { numberOption, numberList } from './args.ts';
import { type InputOptions } from '../io/model-input.ts';
import { readModelInput } from '../node/inputs.ts';
import { loadModel } from '../node/load-model.ts';
import type { Model, RunOptions } from '../model/model.ts';
import { checkFiniteInput } from '../nonfinite.ts';
import type { Tensor } from '../tensor.ts';

/** The image preprocessing options every command that takes an input accepts. */
export const inputOptionSpecs = {
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  'allow-nonfinite': { type: 'boolean' },
  output: { type: 'string' },
} as const;

export const inputOptionsHelp = `Input options: for an image, --scale X (pixels 0..255 times X, default 1), then
--mean a,b,c --std a,b,c ((x - mean) / std per channel); negative numbers may follow the
option directly (--scale -1). --allow-nonfinite accepts NaN or Infinity in the input.
--output NAME: for a model with several outputs, the one to use (default: the first).`;

export interface InputOptionValues {
  scale?: string;
  mean?: string;
  std?: string;
  'allow-nonfinite'?: boolean;
  output?: string;
}

/** Loads the model, with --output's output as the one every method uses. */
export async function loadModelFor(path: string, values: InputOptionValues): Promise<Model> {
  const model = await loadModel(path);
  return values.output === undefined ? model : model.withOutput(values.output);
}

/** What the library's methods are told about the input: its file's name, and --allow-nonfinite. */
export function runOptionsFor(path: string, values: InputOptionValues): RunOptions {
  return { allowNonFinite: values['allow-nonfinite'] === true, inputName: path };
}

/** Reads an input file for the model: its shape and its values (NaN, Infinity) checked before any work. */
export async function readInputFor(path: string, model: Model, values: InputOptionValues): Promise<Tensor> {
  const options: InputOptions = {
    scale: numberOption(values.scale, 'scale', 1),
    mean: numberList(values.mean, 'mean'),
    std: numberList(values.std, 'std'),
  };
  const x = await readModelInput(path, model.inputShape, options);
  model.toBatch(x); // a wrong shape fails here with the shapes named, before any work
  checkFiniteInput(x.data, x.shape, path, values['allow-nonfinite'] === true);
  return x;
}
