import { Tensor, kerasPadding2d, windowOutputLength, type Padding2d } from '../tensor.ts';
import { depthwiseConv2d, depthwiseConv2dBackwardData, depthwiseConv2dBackwardFilter } from '../ops/depthwise-conv2d.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';
import type { ActivationName } from './activation-fns.ts';

export interface DepthwiseConfig {
  kernel: Tensor; // (Cin*M, 1, KH, KW): output channel ci*M + m filters input channel ci
  strides: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
}

/** The depthwise step's output shape and padding for a (C, H, W) input. */
export function depthwiseGeometry(inputShape: readonly number[], config: DepthwiseConfig): { pad: Padding2d; outputShape: number[] } {
  const [, h, w] = inputShape;
  const [cout, , kh, kw] = config.kernel.shape;
  const pad = kerasPadding2d(config.padding, [h, w], [kh, kw], config.strides, config.dilation);
  const oh = windowOutputLength(h, kh, config.strides[0], config.dilation[0], pad.top, pad.bottom);
  const ow = windowOutputLength(w, kw, config.strides[1], config.dilation[1], pad.left, pad.right);
  return { pad, outputShape: [cout, oh, ow] };
}

/** The depthwise step as a linear map and its adjoint (shared by DepthwiseConv2D and SeparableConv2D). */
export class DepthwiseStep {
  readonly pad: Padding2d;
  readonly outputShape: number[];

  constructor(readonly inputShape: readonly number[], readonly config: DepthwiseConfig) {
    ({ pad: this.pad, outputShape: this.outputShape } = depthwiseGeometry(inputShape, config));
  }

  private get options() {
    return { stride: this.config.strides, dilation: this.config.dilation, padding: this.pad };
  }

  forward(x: Tensor, bias: Tensor | null): Tensor {
    return depthwiseConv2d(x, this.config.kernel, bias, this.options);
  }

  adjoint(r: Tensor): Tensor {
    const [c, h, w] = this.inputShape;
    return depthwiseConv2dBackwardData(r, this.config.kernel, c, [h, w], this.options);
  }

  /** The gradients of the kernel and of a bias for dz, the gradient on the step's output. */
  filterGradients(x: Tensor, dz: Tensor): { dw: Tensor; db: Tensor } {
    return depthwiseConv2dBackwardFilter(x, dz, this.config.kernel.shape, this.options);
  }
}

/** Keras DepthwiseConv2D: each input channel correlated with depth_multiplier filters of its own, fused bias and activation. */
export class DepthwiseConv2DLayer extends Layer {
  readonly step: DepthwiseStep;

  constructor(name: string, inputShape: readonly number[], config: DepthwiseConfig, readonly bias: Tensor | null, activation: ActivationName) {
    const step = new DepthwiseStep(inputShape, config);
    super(name, 'DepthwiseConv2D', inputShape, step.outputShape, activation);
    this.step = step;
  }

  override get weights(): Record<string, Tensor> {
    return this.bias ? { kernel: this.step.config.kernel, bias: this.bias } : { kernel: this.step.config.kernel };
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: this.step.forward(x, this.bias) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return this.step.adjoint(r);
  }

  protected override weightGradients(dz: Tensor, record: LayerRecord): Record<string, Tensor> {
    const { dw, db } = this.step.filterGradients(record.input, dz);
    return this.bias ? { kernel: dw, bias: db } : { kernel: dw };
  }
}
