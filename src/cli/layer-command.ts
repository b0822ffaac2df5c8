import { UsageError } from './errors.ts';
import { modelAndInput, outputPath } from './args.ts';
import { readInputFor } from './input-options.ts';
import { readSingleInput } from './single-input.ts';
import { loadModel } from '../node/load-model.ts';
import { defaultModelPath } from '../package-root.ts';
import type { Model } from '../model/model.ts';
import type { Tensor } from '../tensor.ts';

interface LayerCommandValues {
  layer?: string;
  out?: string;
  scale?: string;
  mean?: string;
  std?: string;
}

/**
 * The common start of `[MODEL] INPUT --layer L --out FILE` commands: checks the arguments,
 * then loads the model, checks the layer exists and reads the input (one sample, unless `batch`).
 */
export async function startLayerCommand(
  positionals: string[], values: LayerCommandValues, usage: string, outputs: string[], batch = false,
): Promise<{ model: Model; x: Tensor; layer: string; out: string }> {
  const { model: modelPath, input } = modelAndInput(positionals, usage, defaultModelPath());
  if (!values.layer) throw new UsageError(`--layer is required\n${usage}`);
  if (!values.out) throw new UsageError(`--out is required\n${usage}`);
  const out = outputPath(values.out, outputs);
  const model = await loadModel(modelPath);
  model.layer(values.layer);
  const x = batch ? await readInputFor(input, model, values) : await readSingleInput(input, model, values);
  return { model, x, layer: values.layer, out };
}
