import { Tensor } from '../tensor.ts';
import { affineBroadcast, broadcastIndex } from './broadcast.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';

/**
 * keras.applications' LayerScale (ConvNeXt): each channel times its gamma. Linear, so every
 * backward net multiplies the signal by the same gamma.
 */
export class LayerScaleLayer extends Layer {
  /** For each value of one sample, its channel. */
  private readonly channelIndex: Int32Array;

  constructor(name: string, inputShape: readonly number[], readonly gamma: Tensor) {
    super(name, 'LayerScale', inputShape, inputShape);
    this.channelIndex = broadcastIndex(inputShape, inputShape.map((_, a) => a === 0));
  }

  override get weights(): Record<string, Tensor> {
    return { gamma: this.gamma };
  }

  private scaled(x: Tensor): Tensor {
    return affineBroadcast(x, this.gamma.data, null, this.channelIndex);
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: this.scaled(x) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return this.scaled(r);
  }

  protected override weightGradients(dz: Tensor, record: LayerRecord): Record<string, Tensor> {
    const gamma = new Float64Array(this.gamma.size);
    const per = this.channelIndex.length;
    for (let i = 0; i < dz.size; i++) gamma[this.channelIndex[i % per]] += dz.data[i] * record.input.data[i];
    return { gamma: new Tensor(this.gamma.shape, Float32Array.from(gamma)) };
  }
}
