import { UsageError } from './errors.ts';
import { modelAndInput } from './args.ts';
import { checkOutputs } from './outputs.ts';
import { readInputFor, runOptionsFor, type InputOptionValues, loadModelFor } from './input-options.ts';
import { readSingleInput } from './single-input.ts';
import { defaultModelPath } from '../package-root.ts';
import type { Model, RunOptions } from '../model/model.ts';
import type { Tensor } from '../tensor.ts';

interface LayerCommandValues extends InputOptionValues {
  layer?: string;
  out?: string;
}

interface LayerCommandSetup {
  usage: string;
  /** The endings --out may have. */
  outputs: string[];
  /** Reads the input as it is, a batch allowed (default: one sample). */
  batch?: boolean;
  /** Without these, --layer and --out are required. */
  defaultLayer?: (model: Model) => string;
  defaultOut?: string;
}

/**
 * The common start of `[MODEL] INPUT --layer L --out FILE` commands: checks the arguments and
 * the output path, then loads the model, checks the layer exists and reads the input.
 */
export async function startLayerCommand(
  positionals: string[], values: LayerCommandValues, setup: LayerCommandSetup,
): Promise<{ model: Model; x: Tensor; layer: string; out: string; run: RunOptions }> {
  const { model: modelPath, input } = modelAndInput(positionals, setup.usage, defaultModelPath());
  if (values.layer === undefined && !setup.defaultLayer) throw new UsageError(`--layer is required\n${setup.usage}`);
  const out = values.out ?? setup.defaultOut;
  if (out === undefined) throw new UsageError(`--out is required\n${setup.usage}`);
  checkOutputs([{ option: '--out', path: out, endings: setup.outputs }], [modelPath, input]);
  const model = await loadModelFor(modelPath, values);
  const layer = values.layer ?? setup.defaultLayer!(model);
  model.layer(layer);
  const x = setup.batch ? await readInputFor(input, model, values) : await readSingleInput(input, model, values);
  return { model, x, layer, out, run: runOptionsFor(input, values) };
}
