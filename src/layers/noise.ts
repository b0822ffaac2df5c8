import { Tensor } from '../tensor.ts';
import { IdentityLayer } from './shape-layers.ts';
import type { GradientOptions, Gradients, LayerRecord, TrainMode } from './layer.ts';

export type NoiseKind = 'Dropout' | 'SpatialDropout2D' | 'GaussianDropout' | 'GaussianNoise';

/**
 * Keras's Dropout, SpatialDropout2D, GaussianDropout and GaussianNoise: the identity at inference.
 * While training, Dropout keeps each value with probability 1 - rate and scales it by
 * 1 / (1 - rate) (inverted dropout); SpatialDropout2D does so per channel of each sample;
 * GaussianDropout multiplies by 1 + sqrt(rate / (1 - rate)) * N(0, 1); GaussianNoise adds
 * stddev * N(0, 1). The noise comes from the step's seeded generator.
 */
export class NoiseLayer extends IdentityLayer {
  constructor(name: string, readonly kind: NoiseKind, inputShape: readonly number[], readonly amount: number) {
    super(name, kind, inputShape);
  }

  override forwardTrain(xs: readonly Tensor[], mode: TrainMode): LayerRecord {
    const x = xs[0];
    if (!mode.dropout || this.amount === 0) return this.forwardAll(xs);
    const noise = this.noise(x.shape, mode.random);
    const output = Tensor.zeros(x.shape);
    if (this.kind === 'GaussianNoise') for (let i = 0; i < x.size; i++) output.data[i] = x.data[i] + noise.data[i];
    else for (let i = 0; i < x.size; i++) output.data[i] = x.data[i] * noise.data[i];
    return { inputs: [x], input: x, z: output, output, switches: null, saved: { noise } };
  }

  override gradients(dy: Tensor, record: LayerRecord, options: GradientOptions): Gradients {
    const noise = record.saved?.noise;
    if (!options.inputs) return { inputs: [], weights: {} };
    if (!noise || this.kind === 'GaussianNoise') return { inputs: [dy], weights: {} };
    const dx = Tensor.zeros(dy.shape);
    for (let i = 0; i < dy.size; i++) dx.data[i] = dy.data[i] * noise.data[i];
    return { inputs: [dx], weights: {} };
  }

  /** The multiplier (dropout kinds) or the addend (GaussianNoise) for each value of the batch. */
  private noise(shape: readonly number[], random: () => number): Tensor {
    const out = Tensor.zeros(shape);
    const rate = this.amount;
    switch (this.kind) {
      case 'Dropout':
        for (let i = 0; i < out.size; i++) out.data[i] = random() >= rate ? 1 / (1 - rate) : 0;
        break;
      case 'SpatialDropout2D': {
        const plane = shape[2] * shape[3];
        for (let p = 0; p < out.size / plane; p++) out.data.fill(random() >= rate ? 1 / (1 - rate) : 0, p * plane, (p + 1) * plane);
        break;
      }
      case 'GaussianDropout': {
        const s = Math.sqrt(rate / (1 - rate));
        for (let i = 0; i < out.size; i++) out.data[i] = 1 + s * normal(random);
        break;
      }
      case 'GaussianNoise':
        for (let i = 0; i < out.size; i++) out.data[i] = rate * normal(random);
        break;
    }
    return out;
  }
}

/** A standard normal draw (Box-Muller) from a uniform generator. */
export function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
