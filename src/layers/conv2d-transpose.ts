import { Tensor, dilatedExtent, kerasPadding2d, windowOutputLength, type Padding2d } from '../tensor.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter } from '../ops/conv2d.ts';
import { channelSums } from './channel-sums.ts';
import { channelAffine } from '../ops/channel-affine.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';
import type { ActivationName } from './activation-fns.ts';

export interface Conv2DTransposeConfig {
  /** (Cin, Cout, KH, KW): the kernel of the conv whose adjoint this layer is (Cout maps to Cin). */
  kernel: Tensor;
  bias: Tensor | null;
  strides: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
  /** Keras's output_padding, or null (Keras's None). */
  outputPadding: [number, number] | null;
  activation: ActivationName;
}

/**
 * The output length of a transposed conv along one axis, as Keras computes it
 * (keras/src/utils/conv_utils.py deconv_output_length).
 */
export function deconvOutputLength(input: number, k: number, padding: 'valid' | 'same', outputPadding: number | null, stride: number, dilation: number): number {
  const extent = dilatedExtent(k, dilation);
  if (outputPadding === null) return padding === 'valid' ? input * stride + Math.max(extent - stride, 0) : input * stride;
  const pad = padding === 'same' ? Math.floor(extent / 2) : 0;
  return (input - 1) * stride + extent - 2 * pad + outputPadding;
}

/**
 * Keras Conv2DTranspose (TensorFlow's conv2d_transpose): the adjoint of the conv that maps an
 * output-sized map to the input, its padding the Keras/TensorFlow rule for that conv; then bias
 * and activation. Its own backward rule is therefore that plain conv.
 */
export class Conv2DTransposeLayer extends Layer {
  readonly pad: Padding2d;

  constructor(name: string, inputShape: readonly number[], readonly config: Conv2DTransposeConfig) {
    const [, h, w] = inputShape;
    const [, cout, kh, kw] = config.kernel.shape;
    const [sh, sw] = config.strides;
    const [dh, dw] = config.dilation;
    const op = config.outputPadding;
    const oh = deconvOutputLength(h, kh, config.padding, op ? op[0] : null, sh, dh);
    const ow = deconvOutputLength(w, kw, config.padding, op ? op[1] : null, sw, dw);
    super(name, 'Conv2DTranspose', inputShape, [cout, oh, ow], config.activation);
    this.pad = kerasPadding2d(config.padding, [oh, ow], [kh, kw], config.strides, config.dilation);
  }

  /** Whether the conv of an output-sized map comes back to the input's size (Keras refuses the rest at build time). */
  get consistent(): boolean {
    const [, h, w] = this.inputShape;
    const [, oh, ow] = this.outputShape;
    const [, , kh, kw] = this.config.kernel.shape;
    const { strides: s, dilation: d } = this.config;
    return oh > 0 && ow > 0
      && windowOutputLength(oh, kh, s[0], d[0], this.pad.top, this.pad.bottom) === h
      && windowOutputLength(ow, kw, s[1], d[1], this.pad.left, this.pad.right) === w;
  }

  override get weights(): Record<string, Tensor> {
    return this.config.bias ? { kernel: this.config.kernel, bias: this.config.bias } : { kernel: this.config.kernel };
  }

  private get options() {
    return { stride: this.config.strides, dilation: this.config.dilation, padding: this.pad };
  }

  forwardLinear(x: Tensor): LinearResult {
    const [, oh, ow] = this.outputShape;
    const z = conv2dBackwardData(x, this.config.kernel, [oh, ow], this.options);
    const bias = this.config.bias;
    if (!bias) return { z };
    return { z: channelAffine(z, new Tensor([bias.size], new Float32Array(bias.size).fill(1)), bias, 1) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return conv2d(r, this.config.kernel, null, this.options);
  }

  /** z is the adjoint of the conv of dz-sized maps with the kernel, so the kernel's gradient is that conv's filter gradient with the roles swapped. */
  protected override weightGradients(dz: Tensor, record: LayerRecord): Record<string, Tensor> {
    const [, , kh, kw] = this.config.kernel.shape;
    const kernel = conv2dBackwardFilter(dz, record.input, [kh, kw], this.options).dw;
    return this.config.bias ? { kernel, bias: channelSums(dz) } : { kernel };
  }
}
