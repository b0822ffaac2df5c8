import { formatShape } from '../tensor.ts';
import type { Layer } from '../layers/layer.ts';
import { DepthwiseConv2DLayer } from '../layers/depthwise-conv2d.ts';
import { SeparableConv2DLayer } from '../layers/separable-conv2d.ts';
import { Conv2DTransposeLayer } from '../layers/conv2d-transpose.ts';
import type { SpecReader } from './build.ts';

/** DepthwiseConv2D, SeparableConv2D and Conv2DTranspose from their specs (channels-first weights). */
export function buildConvFamily(s: SpecReader): Layer {
  const { spec, inputShape } = s;
  s.requireRank(3);
  const cin = inputShape[0];
  const window = { strides: s.pair('strides'), dilation: s.pair('dilation'), padding: s.padding() };
  const fits = (layer: Layer, kernel: readonly number[]): Layer => {
    if (layer.outputShape.some((d) => d <= 0)) s.fail(`a ${kernel[2]}x${kernel[3]} kernel does not fit its ${formatShape(inputShape)} input`);
    return layer;
  };
  switch (spec.type) {
    case 'DepthwiseConv2D': {
      const k = fourD(s, 'kernel');
      if (k[0] % cin !== 0) s.fail(`kernel has shape ${formatShape(k)}: its ${k[0]} filters are not a multiple of the ${cin} input channels`);
      const kernel = s.weight('kernel', [k[0], 1, k[2], k[3]]);
      return fits(new DepthwiseConv2DLayer(spec.name, inputShape, { kernel, ...window }, s.optionalWeight('bias', [k[0]]), spec.activation), k);
    }
    case 'SeparableConv2D': {
      const k = fourD(s, 'depthwise_kernel');
      if (k[0] % cin !== 0) s.fail(`depthwise_kernel has shape ${formatShape(k)}: its ${k[0]} filters are not a multiple of the ${cin} input channels`);
      const kernel = s.weight('depthwise_kernel', [k[0], 1, k[2], k[3]]);
      const p = fourD(s, 'pointwise_kernel');
      const pointwise = s.weight('pointwise_kernel', [p[0], k[0], 1, 1]);
      return fits(new SeparableConv2DLayer(spec.name, inputShape, { kernel, ...window }, pointwise, s.optionalWeight('bias', [p[0]]), spec.activation), k);
    }
    case 'Conv2DTranspose': {
      const k = fourD(s, 'kernel');
      const kernel = s.weight('kernel', [cin, k[1], k[2], k[3]]);
      const op = spec.params.outputPadding;
      if (op !== null && op !== undefined && !(Array.isArray(op) && op.length === 2 && op.every((v) => Number.isInteger(v) && v >= 0))) {
        s.fail(`outputPadding must be null or two non-negative integers, not ${JSON.stringify(op)}`);
      }
      const outputPadding = Array.isArray(op) ? [op[0], op[1]] as [number, number] : null;
      if ((window.dilation[0] > 1 || window.dilation[1] > 1) && (window.strides[0] > 1 || window.strides[1] > 1)) {
        s.fail(`dilation ${formatShape(window.dilation)} with strides ${formatShape(window.strides)} is not supported; a transposed conv takes dilation with strides 1 only`, 'E_UNSUPPORTED');
      }
      const layer = new Conv2DTransposeLayer(spec.name, inputShape, { kernel, bias: s.optionalWeight('bias', [k[1]]), ...window, outputPadding, activation: spec.activation });
      if (!layer.consistent) {
        s.fail(`output_padding ${formatShape(outputPadding ?? [0, 0])} does not fit strides ${formatShape(window.strides)} and padding ${window.padding}; each must be smaller than its stride`);
      }
      return layer;
    }
  }
  return s.fail('is not a conv family layer');
}

function fourD(s: SpecReader, key: string): readonly number[] {
  const t = s.spec.weights[key];
  if (!t || t.rank !== 4) s.fail(`${key} must be 4-D`);
  return t.shape;
}
