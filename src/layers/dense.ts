import { Tensor } from '../tensor.ts';
import { matmul } from '../ops/matmul.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter } from '../ops/conv2d.ts';
import { channelSums } from './channel-sums.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';
import type { ActivationName } from './activation-fns.ts';

/** Keras Dense: y = x W + b with W stored (in, out) as Keras does. */
export class DenseLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], readonly kernel: Tensor, readonly bias: Tensor | null, activation: ActivationName) {
    super(name, 'Dense', inputShape, [kernel.shape[1]], activation);
  }

  override get weights(): Record<string, Tensor> {
    return this.bias ? { kernel: this.kernel, bias: this.bias } : { kernel: this.kernel };
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: matmul(x, this.kernel, { bias: this.bias, biasAxis: 'col' }) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return matmul(r, this.kernel, { transB: true });
  }

  protected override weightGradients(dz: Tensor, record: LayerRecord): Record<string, Tensor> {
    const kernel = matmul(record.input, dz, { transA: true });
    return this.bias ? { kernel, bias: channelSums(dz) } : { kernel };
  }
}

/**
 * Keras Dense on a channels_last map (H, W, C): the same (in, out) kernel applied to the channel
 * vector at every position, which on the engine's (C, H, W) is a 1x1 convolution.
 */
export class ChannelDenseLayer extends Layer {
  private readonly pointwise: Tensor;

  constructor(name: string, inputShape: readonly number[], readonly kernel: Tensor, readonly bias: Tensor | null, activation: ActivationName) {
    super(name, 'Dense', inputShape, [kernel.shape[1], inputShape[1], inputShape[2]], activation);
    const [cin, cout] = kernel.shape;
    this.pointwise = Tensor.zeros([cout, cin, 1, 1]);
    this.weightsChanged();
  }

  override weightsChanged(): void {
    const [cin, cout] = this.kernel.shape;
    for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) this.pointwise.data[o * cin + i] = this.kernel.data[i * cout + o];
  }

  override get weights(): Record<string, Tensor> {
    return this.bias ? { kernel: this.kernel, bias: this.bias } : { kernel: this.kernel };
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: conv2d(x, this.pointwise, this.bias) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return conv2dBackwardData(r, this.pointwise, [this.inputShape[1], this.inputShape[2]]);
  }

  protected override weightGradients(dz: Tensor, record: LayerRecord): Record<string, Tensor> {
    const { dw, db } = conv2dBackwardFilter(record.input, dz, [1, 1]);
    const [cin, cout] = this.kernel.shape;
    const kernel = Tensor.zeros([cin, cout]);
    for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) kernel.data[i * cout + o] = dw.data[o * cin + i];
    return this.bias ? { kernel, bias: db } : { kernel };
  }
}
