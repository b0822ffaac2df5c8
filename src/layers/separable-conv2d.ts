import type { Tensor } from '../tensor.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter } from '../ops/conv2d.ts';
import { activationBackward } from './activation-fns.ts';
import { Layer, type GradientOptions, type Gradients, type LayerRecord, type LinearResult } from './layer.ts';
import { DepthwiseStep, type DepthwiseConfig } from './depthwise-conv2d.ts';
import type { ActivationName } from './activation-fns.ts';

/**
 * Keras SeparableConv2D: a depthwise conv (strides, padding and dilation apply here), then a 1x1
 * conv that mixes the Cin*M channels into the filters, with bias and fused activation. The
 * backward rule is the adjoint of the two, in reverse order.
 */
export class SeparableConv2DLayer extends Layer {
  readonly depthwise: DepthwiseStep;

  constructor(name: string, inputShape: readonly number[], config: DepthwiseConfig, readonly pointwise: Tensor, readonly bias: Tensor | null, activation: ActivationName) {
    const depthwise = new DepthwiseStep(inputShape, config);
    const [, oh, ow] = depthwise.outputShape;
    super(name, 'SeparableConv2D', inputShape, [pointwise.shape[0], oh, ow], activation);
    this.depthwise = depthwise;
  }

  override get weights(): Record<string, Tensor> {
    const w: Record<string, Tensor> = { depthwise_kernel: this.depthwise.config.kernel, pointwise_kernel: this.pointwise };
    if (this.bias) w.bias = this.bias;
    return w;
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: conv2d(this.depthwise.forward(x, null), this.pointwise, this.bias) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    const [, oh, ow] = this.depthwise.outputShape;
    return this.depthwise.adjoint(conv2dBackwardData(r, this.pointwise, [oh, ow]));
  }

  /** The depthwise step's output is computed again (the forward does not keep it), and its gradient once for both uses. */
  override gradients(dy: Tensor, record: LayerRecord, options: GradientOptions): Gradients {
    const dz = options.onLogits ? dy : activationBackward(this.activation, 'salinet', dy, record.z, record.output);
    const [, oh, ow] = this.depthwise.outputShape;
    const pointwise = conv2dBackwardFilter(this.depthwise.forward(record.input, null), dz, [1, 1]);
    const dDepthwise = conv2dBackwardData(dz, this.pointwise, [oh, ow]);
    const weights: Record<string, Tensor> = {
      depthwise_kernel: this.depthwise.filterGradients(record.input, dDepthwise).dw,
      pointwise_kernel: pointwise.dw,
    };
    if (this.bias) weights.bias = pointwise.db;
    return { inputs: options.inputs ? [this.depthwise.adjoint(dDepthwise)] : [], weights };
  }
}
