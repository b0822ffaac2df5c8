import { Tensor } from '../tensor.ts';
import { channelAffine } from '../ops/channel-affine.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';

export interface BatchNormWeights {
  gamma: Tensor | null;
  beta: Tensor | null;
  movingMean: Tensor;
  movingVariance: Tensor;
  epsilon: number;
}

/**
 * Keras BatchNormalization at inference, on the channel axis of a (C, H, W) map or the
 * features of a (K) vector: gamma * (x - mean) / sqrt(var + eps) + beta, folded into one
 * per-channel scale and shift. Going back, the signal is multiplied by the scale.
 */
export class BatchNormalizationLayer extends Layer {
  readonly scale: Tensor;
  readonly shift: Tensor;
  private readonly zeroShift: Tensor;

  constructor(name: string, inputShape: readonly number[], readonly params: BatchNormWeights) {
    super(name, 'BatchNormalization', inputShape, inputShape);
    const channels = inputShape[0];
    this.scale = Tensor.zeros([channels]);
    this.shift = Tensor.zeros([channels]);
    for (let c = 0; c < channels; c++) {
      const gamma = params.gamma ? params.gamma.data[c] : 1;
      const beta = params.beta ? params.beta.data[c] : 0;
      const s = gamma / Math.sqrt(params.movingVariance.data[c] + params.epsilon);
      this.scale.data[c] = s;
      this.shift.data[c] = beta - params.movingMean.data[c] * s;
    }
    this.zeroShift = Tensor.zeros([channels]);
  }

  override get weights(): Record<string, Tensor> {
    const w: Record<string, Tensor> = {};
    if (this.params.gamma) w.gamma = this.params.gamma;
    if (this.params.beta) w.beta = this.params.beta;
    w.moving_mean = this.params.movingMean;
    w.moving_variance = this.params.movingVariance;
    return w;
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: channelAffine(x, this.scale, this.shift, 1) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return channelAffine(r, this.scale, this.zeroShift, 1);
  }
}
