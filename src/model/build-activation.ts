import type { Layer } from '../layers/layer.ts';
import { IdentityLayer } from '../layers/shape-layers.ts';
import { ElementwiseLayer, PReLULayer, SoftmaxLayer } from '../layers/activation-layers.ts';
import { reluWith, leakyRelu, elu } from '../layers/pointwise.ts';
import { formatShape } from '../tensor.ts';
import type { SpecReader } from './build.ts';

/** ReLU, LeakyReLU, ELU, ThresholdedReLU, PReLU and Softmax layers. */
export function buildActivationLayer(s: SpecReader): Layer {
  const { spec, inputShape } = s;
  const number = (key: string): number => {
    const v = spec.params[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) s.fail(`${key} must be a finite number, not ${JSON.stringify(v)}`);
    return v;
  };
  switch (spec.type) {
    case 'ReLU': {
      const negativeSlope = number('negativeSlope');
      const threshold = number('threshold');
      const maxValue = spec.params.maxValue === null ? null : number('maxValue');
      // The common forms run on the activations' own kernels.
      if (negativeSlope === 0 && threshold === 0 && maxValue === null) return new IdentityLayer(spec.name, 'ReLU', inputShape, 'relu');
      if (negativeSlope === 0 && threshold === 0 && maxValue === 6) return new IdentityLayer(spec.name, 'ReLU', inputShape, 'relu6');
      return new ElementwiseLayer(spec.name, 'ReLU', inputShape, reluWith({ negativeSlope, maxValue, threshold }));
    }
    case 'ThresholdedReLU':
      return new ElementwiseLayer(spec.name, 'ThresholdedReLU', inputShape, reluWith({ negativeSlope: 0, maxValue: null, threshold: number('theta') }));
    case 'LeakyReLU':
      return new ElementwiseLayer(spec.name, 'LeakyReLU', inputShape, leakyRelu(number('negativeSlope')));
    case 'ELU':
      return new ElementwiseLayer(spec.name, 'ELU', inputShape, elu(number('alpha')));
    case 'PReLU': {
      const alpha = spec.weights.alpha;
      if (!alpha) s.fail("weight 'alpha' is missing");
      const fits = alpha.rank === inputShape.length && alpha.shape.every((d, i) => d === inputShape[i] || d === 1);
      if (!fits) s.fail(`alpha has shape ${formatShape(alpha.shape)}, which does not fit its ${formatShape(inputShape)} input (each axis its size or 1)`);
      return new PReLULayer(spec.name, inputShape, alpha);
    }
    case 'Softmax': {
      const axis = spec.params.axis;
      if (typeof axis !== 'number' || !(axis < inputShape.length)) s.fail(`axis ${String(axis)} is not an axis of its ${formatShape(inputShape)} input`);
      if (inputShape.length === 1) return new IdentityLayer(spec.name, 'Softmax', inputShape, 'softmax');
      return new SoftmaxLayer(spec.name, inputShape, axis);
    }
    default:
      return s.fail('is not an activation layer');
  }
}
