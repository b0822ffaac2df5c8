import type { Layer } from '../layers/layer.ts';
import { ConcatenateLayer, ElementwiseMergeLayer, broadcastShape, describeShapes, type ElementwiseMerge } from '../layers/merge.ts';
import type { SpecReader } from './build.ts';

/** A merge node from its spec and the shapes of the tensors it takes. */
export function buildMerge(s: SpecReader): Layer {
  const { spec, inputShapes } = s;
  if (spec.type === 'Concatenate') {
    const axis = spec.params.axis;
    const rank = inputShapes[0].length;
    if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < 0 || axis >= rank) s.fail(`axis must be an axis of its inputs (0 to ${rank - 1}), not ${JSON.stringify(axis)}`);
    const fits = inputShapes.every((shape) => shape.length === rank && shape.every((d, i) => i === axis || d === inputShapes[0][i]));
    if (!fits) s.fail(`cannot concatenate ${describeShapes(inputShapes)} along axis ${axis}: the other axes must be equal`);
    return new ConcatenateLayer(spec.name, axis, inputShapes);
  }
  const out = broadcastShape(inputShapes);
  if (!out) s.fail(`cannot merge inputs of shapes ${describeShapes(inputShapes)}: each axis must be equal or 1`);
  if (spec.type === 'Subtract' && inputShapes.length !== 2) s.fail(`subtracts two inputs, not ${inputShapes.length}`);
  return new ElementwiseMergeLayer(spec.name, spec.type as ElementwiseMerge, inputShapes, out);
}
