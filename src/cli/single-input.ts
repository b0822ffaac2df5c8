import type { Tensor } from '../tensor.ts';
import type { Model } from '../model/model.ts';
import { UsageError } from './errors.ts';
import { readInputFor, type InputOptionValues } from './input-options.ts';

/** Reads one input sample (C, H, W); a batch of one is accepted, a larger batch is refused. */
export async function readSingleInput(path: string, model: Model, values: InputOptionValues): Promise<Tensor> {
  const x = await readInputFor(path, model, values);
  const { batch } = model.toBatch(x);
  if (batch.shape[0] !== 1) throw new UsageError(`${path} holds a batch of ${batch.shape[0]} inputs; this command takes one`);
  return batch.reshape(model.inputShape);
}
