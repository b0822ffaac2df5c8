import { ConvscopeError } from '../errors.ts';
import { Tensor, formatShape } from '../tensor.ts';
import { checkSpecHeader, checkSpecLayers, isRecord, schemaFail } from './spec-schema.ts';
import type { ModelSpec } from './spec.ts';

/**
 * The checks every spec passes before a Model is built from it, whichever format it came from:
 * the spec schema (for a spec built in memory: weights are Tensors), then the weights' values.
 */
export function checkSpecSchema(spec: unknown): asserts spec is ModelSpec {
  const fail = schemaFail('model spec', 'E_ARGUMENT');
  if (!isRecord(spec)) fail('(top level)', 'a ModelSpec object', spec);
  checkSpecHeader(spec as Record<string, unknown>, fail);
  checkSpecLayers((spec as Record<string, unknown>).layers, fail, (weight, path) => {
    if (!(weight instanceof Tensor)) return fail(path, 'a Tensor', weight);
    if (weight.rank === 0 || weight.shape.some((d) => d === 0)) fail(`${path}.shape`, 'a shape with at least one axis, none of them 0', formatShape(weight.shape));
    return [...weight.shape];
  });
}

/**
 * NaN or Infinity in any weight would turn every output into NaN, and a negative
 * BatchNormalization variance (or variance + epsilon of 0) into NaN or Infinity: refused at load,
 * naming the layer, the weight and how many values are bad.
 */
export function checkWeightValues(spec: ModelSpec): void {
  for (const layer of spec.layers) {
    for (const [key, t] of Object.entries(layer.weights)) {
      let nan = 0;
      let infinite = 0;
      const data = t.data;
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (v - v !== 0) {
          if (v !== v) nan++;
          else infinite++;
        }
      }
      if (nan || infinite) {
        const counts = [nan ? `${nan} NaN` : '', infinite ? `${infinite} infinite` : ''].filter(Boolean).join(' and ');
        throw new ConvscopeError('E_NONFINITE', `layer '${layer.name}' weight '${key}' has ${counts} value${nan + infinite > 1 ? 's' : ''}; the file is damaged or the model diverged in training`);
      }
    }
    if (layer.type === 'BatchNormalization') checkVariance(layer.name, layer.weights.moving_variance, Number(layer.params.epsilon));
  }
}

function checkVariance(name: string, variance: Tensor, epsilon: number): void {
  const bad = variance.data.findIndex((v) => !(v + epsilon > 0));
  if (bad < 0) return;
  const v = variance.data[bad];
  throw new ConvscopeError(
    'E_FORMAT',
    `layer '${name}' weight 'moving_variance' is ${v} at channel ${bad}` +
      (v < 0 ? '; a variance cannot be negative' : `, and with epsilon ${epsilon} it divides by zero`) + '; the file is damaged',
  );
}
