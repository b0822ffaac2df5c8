import { Tensor } from '../tensor.ts';
import { channelAffine } from '../ops/channel-affine.ts';
import { Layer, type GradientOptions, type Gradients, type LayerRecord, type LinearResult, type TrainMode } from './layer.ts';

export interface BatchNormWeights {
  gamma: Tensor | null;
  beta: Tensor | null;
  movingMean: Tensor;
  movingVariance: Tensor;
  epsilon: number;
  /** Keras's momentum for the moving statistics (default 0.99). */
  momentum: number;
}

/**
 * Keras BatchNormalization at inference, on the channel axis of a (C, H, W) map or the
 * features of a (K) vector: gamma * (x - mean) / sqrt(var + eps) + beta, folded into one
 * per-channel scale and shift. Going back, the signal is multiplied by the scale.
 *
 * While training it normalises by the batch's own mean and biased variance per channel, and
 * moves the moving statistics toward them as Keras 2 does: moving = moving * momentum +
 * batch * (1 - momentum), with the unbiased (Bessel-corrected) batch variance for maps (the
 * variance TensorFlow's fused batch norm returns, which Keras 2 uses for 4-D inputs) and the
 * biased one for vectors (Keras 2's tf.nn.moments path).
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
    this.zeroShift = Tensor.zeros([channels]);
    this.weightsChanged();
  }

  override weightsChanged(): void {
    const { gamma, beta, movingMean, movingVariance, epsilon } = this.params;
    for (let c = 0; c < this.scale.size; c++) {
      const s = (gamma ? gamma.data[c] : 1) / Math.sqrt(movingVariance.data[c] + epsilon);
      this.scale.data[c] = s;
      this.shift.data[c] = (beta ? beta.data[c] : 0) - movingMean.data[c] * s;
    }
  }

  override get trainableWeights(): Record<string, Tensor> {
    const w: Record<string, Tensor> = {};
    if (this.params.gamma) w.gamma = this.params.gamma;
    if (this.params.beta) w.beta = this.params.beta;
    return w;
  }

  /** x as (N, C, inner): inner is H*W for a map, 1 for a vector. */
  private layout(x: Tensor): { n: number; c: number; inner: number } {
    const c = this.scale.size;
    return { n: x.shape[0], c, inner: x.size / (x.shape[0] * c) };
  }

  override forwardTrain(xs: readonly Tensor[], _mode: TrainMode): LayerRecord {
    const x = xs[0];
    const { n, c, inner } = this.layout(x);
    const count = n * inner;
    const mean = Tensor.zeros([c]);
    const invStd = Tensor.zeros([c]);
    const xhat = Tensor.zeros(x.shape);
    const output = Tensor.zeros(x.shape);
    const { gamma, beta, movingMean, movingVariance, epsilon, momentum } = this.params;
    for (let ch = 0; ch < c; ch++) {
      let sum = 0;
      for (let b = 0; b < n; b++) for (let i = (b * c + ch) * inner, end = i + inner; i < end; i++) sum += x.data[i];
      const m = sum / count;
      let squares = 0;
      for (let b = 0; b < n; b++) for (let i = (b * c + ch) * inner, end = i + inner; i < end; i++) squares += (x.data[i] - m) ** 2;
      const variance = squares / count;
      const r = 1 / Math.sqrt(variance + epsilon);
      mean.data[ch] = m;
      invStd.data[ch] = r;
      const g = gamma ? gamma.data[ch] : 1;
      const shift = beta ? beta.data[ch] : 0;
      for (let b = 0; b < n; b++) {
        for (let i = (b * c + ch) * inner, end = i + inner; i < end; i++) {
          xhat.data[i] = (x.data[i] - m) * r;
          output.data[i] = xhat.data[i] * g + shift;
        }
      }
      const unbiased = this.inputShape.length === 3 && count > 1 ? squares / (count - 1) : variance;
      movingMean.data[ch] = movingMean.data[ch] * momentum + m * (1 - momentum);
      movingVariance.data[ch] = movingVariance.data[ch] * momentum + unbiased * (1 - momentum);
    }
    return { inputs: [x], input: x, z: output, output, switches: null, saved: { xhat, invStd } };
  }

  /**
   * Through the batch statistics when the record is a training forward's: with u = dy * gamma,
   * dx = invStd * (u - mean(u) - xhat * mean(u * xhat)) over each channel's batch values.
   */
  override gradients(dy: Tensor, record: LayerRecord, options: GradientOptions): Gradients {
    const saved = record.saved;
    if (!saved) return super.gradients(dy, record, options);
    const { xhat, invStd } = saved;
    const { n, c, inner } = this.layout(dy);
    const count = n * inner;
    const dGamma = Tensor.zeros([c]);
    const dBeta = Tensor.zeros([c]);
    const dx = options.inputs ? Tensor.zeros(dy.shape) : null;
    const { gamma, beta } = this.params;
    for (let ch = 0; ch < c; ch++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let b = 0; b < n; b++) {
        for (let i = (b * c + ch) * inner, end = i + inner; i < end; i++) {
          sumDy += dy.data[i];
          sumDyXhat += dy.data[i] * xhat.data[i];
        }
      }
      dGamma.data[ch] = sumDyXhat;
      dBeta.data[ch] = sumDy;
      if (!dx) continue;
      const k = ((gamma ? gamma.data[ch] : 1) * invStd.data[ch]);
      const meanDy = sumDy / count;
      const meanDyXhat = sumDyXhat / count;
      for (let b = 0; b < n; b++) {
        for (let i = (b * c + ch) * inner, end = i + inner; i < end; i++) dx.data[i] = k * (dy.data[i] - meanDy - xhat.data[i] * meanDyXhat);
      }
    }
    const weights: Record<string, Tensor> = {};
    if (gamma) weights.gamma = dGamma;
    if (beta) weights.beta = dBeta;
    return { inputs: dx ? [dx] : [], weights };
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
