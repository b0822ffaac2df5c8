import { Tensor } from '../tensor.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';
import { broadcastIndex } from './broadcast.ts';

export interface LayerNormOptions {
  /** The per-sample axes normalised over (engine axes: 0 is channels). */
  axes: readonly number[];
  epsilon: number;
  /** The input's rank, each axis its size if normalised over, else 1. */
  gamma: Tensor | null;
  beta: Tensor | null;
}

/**
 * Keras LayerNormalization: each sample's values are normalised over `axes` by their mean and
 * biased variance, (x - mean) / sqrt(var + epsilon) * gamma + beta. It is not linear, so every
 * backward net maps a signal by its gradient (SEMANTICS.md: "any other node").
 */
export class LayerNormalizationLayer extends Layer {
  /** Each element's group (its position on the axes not normalised over). */
  private readonly group: Int32Array;
  /** Each element's index in gamma and beta. */
  private readonly param: Int32Array;
  private readonly groups: number;
  private readonly groupSize: number;

  constructor(name: string, inputShape: readonly number[], readonly options: LayerNormOptions) {
    super(name, 'LayerNormalization', inputShape, inputShape);
    const normalised = inputShape.map((_, a) => options.axes.includes(a));
    this.group = broadcastIndex(inputShape, normalised.map((n) => !n));
    this.param = broadcastIndex(inputShape, normalised);
    this.groupSize = inputShape.reduce((n, d, a) => (normalised[a] ? n * d : n), 1);
    this.groups = this.group.length / this.groupSize;
  }

  override get weights(): Record<string, Tensor> {
    const w: Record<string, Tensor> = {};
    if (this.options.gamma) w.gamma = this.options.gamma;
    if (this.options.beta) w.beta = this.options.beta;
    return w;
  }

  /** Each group's mean and 1 / sqrt(var + epsilon) for one sample at `base`, in float64. */
  private moments(x: Float32Array, base: number): { mean: Float64Array; rstd: Float64Array } {
    const mean = new Float64Array(this.groups);
    const rstd = new Float64Array(this.groups);
    const per = this.group.length;
    for (let i = 0; i < per; i++) mean[this.group[i]] += x[base + i];
    for (let g = 0; g < this.groups; g++) mean[g] /= this.groupSize;
    for (let i = 0; i < per; i++) {
      const d = x[base + i] - mean[this.group[i]];
      rstd[this.group[i]] += d * d;
    }
    for (let g = 0; g < this.groups; g++) rstd[g] = 1 / Math.sqrt(rstd[g] / this.groupSize + this.options.epsilon);
    return { mean, rstd };
  }

  /** Calls fn with each value's index, its gamma/beta index and its normalised value (x - mean) * rstd. */
  private eachNormalised(x: Tensor, fn: (at: number, param: number, xhat: number) => void): void {
    const per = this.group.length;
    for (let base = 0; base < x.size; base += per) {
      const { mean, rstd } = this.moments(x.data, base);
      for (let i = 0; i < per; i++) {
        const g = this.group[i];
        fn(base + i, this.param[i], (x.data[base + i] - mean[g]) * rstd[g]);
      }
    }
  }

  forwardLinear(x: Tensor): LinearResult {
    const { gamma, beta } = this.options;
    const z = Tensor.zeros(x.shape);
    this.eachNormalised(x, (at, p, xhat) => {
      z.data[at] = xhat * (gamma ? gamma.data[p] : 1) + (beta ? beta.data[p] : 0);
    });
    return { z };
  }

  /**
   * The gradient: with xhat = (x - mean) * rstd and u = r * gamma,
   * dx = rstd * (u - mean_group(u) - xhat * mean_group(u * xhat)).
   */
  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    const { gamma } = this.options;
    const x = record.input;
    const dx = Tensor.zeros(x.shape);
    const per = this.group.length;
    const sumU = new Float64Array(this.groups);
    const sumUX = new Float64Array(this.groups);
    for (let base = 0; base < x.size; base += per) {
      const { mean, rstd } = this.moments(x.data, base);
      sumU.fill(0);
      sumUX.fill(0);
      for (let i = 0; i < per; i++) {
        const g = this.group[i];
        const u = r.data[base + i] * (gamma ? gamma.data[this.param[i]] : 1);
        sumU[g] += u;
        sumUX[g] += u * (x.data[base + i] - mean[g]) * rstd[g];
      }
      for (let i = 0; i < per; i++) {
        const g = this.group[i];
        const u = r.data[base + i] * (gamma ? gamma.data[this.param[i]] : 1);
        const xhat = (x.data[base + i] - mean[g]) * rstd[g];
        dx.data[base + i] = rstd[g] * (u - sumU[g] / this.groupSize - (xhat * sumUX[g]) / this.groupSize);
      }
    }
    return dx;
  }

  /** gamma's gradient sums dz * xhat, beta's dz, over the values that share each parameter. */
  protected override weightGradients(dz: Tensor, record: LayerRecord): Record<string, Tensor> {
    const { gamma, beta } = this.options;
    const x = record.input;
    const params = (gamma ?? beta)?.size ?? 0;
    const dGamma = new Float64Array(params);
    const dBeta = new Float64Array(params);
    this.eachNormalised(x, (at, p, xhat) => {
      dGamma[p] += dz.data[at] * xhat;
      dBeta[p] += dz.data[at];
    });
    const weights: Record<string, Tensor> = {};
    if (gamma) weights.gamma = new Tensor(gamma.shape, Float32Array.from(dGamma));
    if (beta) weights.beta = new Tensor(beta.shape, Float32Array.from(dBeta));
    return weights;
  }
}
