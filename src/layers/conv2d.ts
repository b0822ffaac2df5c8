import { Tensor, kerasPadding2d, windowOutputLength, type Padding2d } from '../tensor.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter } from '../ops/conv2d.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';
import type { ActivationName } from './activation-fns.ts';

export interface Conv2DConfig {
  kernel: Tensor; // (Cout, Cin, KH, KW)
  bias: Tensor | null;
  strides: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
  activation: ActivationName;
}

/** Keras Conv2D: cross-correlation with fused bias and activation. */
export class Conv2DLayer extends Layer {
  readonly pad: Padding2d;

  constructor(name: string, inputShape: readonly number[], readonly config: Conv2DConfig) {
    const [, h, w] = inputShape;
    const [cout, , kh, kw] = config.kernel.shape;
    const pad = kerasPadding2d(config.padding, [h, w], [kh, kw], config.strides, config.dilation);
    const oh = windowOutputLength(h, kh, config.strides[0], config.dilation[0], pad.top, pad.bottom);
    const ow = windowOutputLength(w, kw, config.strides[1], config.dilation[1], pad.left, pad.right);
    super(name, 'Conv2D', inputShape, [cout, oh, ow], config.activation);
    this.pad = pad;
  }

  override get weights(): Record<string, Tensor> {
    return this.config.bias ? { kernel: this.config.kernel, bias: this.config.bias } : { kernel: this.config.kernel };
  }

  private get options() {
    return { stride: this.config.strides, dilation: this.config.dilation, padding: this.pad };
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: conv2d(x, this.config.kernel, this.config.bias, this.options) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return conv2dBackwardData(r, this.config.kernel, [this.inputShape[1], this.inputShape[2]], this.options);
  }

  protected override weightGradients(dz: Tensor, record: LayerRecord): Record<string, Tensor> {
    const [, , kh, kw] = this.config.kernel.shape;
    const { dw, db } = conv2dBackwardFilter(record.input, dz, [kh, kw], this.options);
    return this.config.bias ? { kernel: dw, bias: db } : { kernel: dw };
  }
}
