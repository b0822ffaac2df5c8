import type { Tensor } from '../tensor.ts';

export type OptimizerName = 'sgd' | 'adam';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'adam'];

/** Hyper-parameters as Keras names them (learningRate = learning_rate, beta1 = beta_1, ...). */
export interface OptimizerOptions {
  /** Default 'adam'. */
  optimizer?: OptimizerName;
  /** Default Keras's: 0.01 for SGD, 0.001 for Adam. */
  learningRate?: number;
  /** SGD; default 0. */
  momentum?: number;
  /** SGD; default false. */
  nesterov?: boolean;
  /** Adam; defaults 0.9, 0.999, 1e-7. */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay as Keras 2.11+ applies it (w -= w * weightDecay * learningRate); default 0. */
  weightDecay?: number;
  /**
   * How the learning rate changes with the step: 'constant' (default), or 'cosine' (Keras's
   * CosineDecay to 0 over `decaySteps`: lr * (1 + cos(pi * min(step, decaySteps) / decaySteps)) / 2).
   */
  schedule?: LearningRateSchedule;
  /** The steps a cosine schedule decays over; train() sets it to all of its steps. */
  decaySteps?: number;
}

export type LearningRateSchedule = 'constant' | 'cosine';
export const SCHEDULES: readonly LearningRateSchedule[] = ['constant', 'cosine'];

/**
 * Keras 2's optimisers, on float32 weights changed in place, their state (SGD's momentum, Adam's
 * moments) kept per weight tensor. Each element is updated in float64 and stored in float32.
 *
 *   SGD:  m = momentum * m - lr * g;  w += m  (nesterov: w += momentum * m - lr * g)
 *   Adam: t = step + 1; alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t);
 *         m += (g - m) * (1 - beta1); v += (g^2 - v) * (1 - beta2); w -= alpha * m / (sqrt(v) + epsilon)
 */
export class Optimizer {
  readonly name: OptimizerName;
  readonly learningRate: number;
  private readonly options: Required<OptimizerOptions>;
  private readonly state = new Map<Tensor, Float32Array[]>();
  /** Keras's `iterations`: steps taken so far. */
  iterations = 0;

  constructor(options: OptimizerOptions = {}) {
    const name = options.optimizer ?? 'adam';
    this.name = name;
    this.learningRate = options.learningRate ?? (name === 'sgd' ? 0.01 : 0.001);
    this.options = {
      optimizer: name, learningRate: this.learningRate, momentum: options.momentum ?? 0, nesterov: options.nesterov ?? false,
      beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999, epsilon: options.epsilon ?? 1e-7, weightDecay: options.weightDecay ?? 0,
      schedule: options.schedule ?? 'constant', decaySteps: options.decaySteps ?? 0,
    };
  }

  /** The learning rate of the coming step (Keras evaluates a schedule at `iterations`). */
  get currentRate(): number {
    const { schedule, decaySteps } = this.options;
    if (schedule === 'constant' || decaySteps <= 0) return this.learningRate;
    return (this.learningRate * (1 + Math.cos((Math.PI * Math.min(this.iterations, decaySteps)) / decaySteps))) / 2;
  }

  /** Applies one step to every weight that has a gradient, then counts the step. */
  step(gradients: Map<Tensor, Tensor>): void {
    for (const [weight, gradient] of gradients) {
      this.decay(weight.data);
      if (this.name === 'sgd') this.sgd(weight, gradient.data);
      else this.adam(weight, gradient.data);
    }
    this.iterations++;
  }

  private slots(weight: Tensor, count: number): Float32Array[] {
    let s = this.state.get(weight);
    if (!s) {
      s = Array.from({ length: count }, () => new Float32Array(weight.size));
      this.state.set(weight, s);
    }
    return s;
  }

  private decay(w: Float32Array): void {
    const d = this.options.weightDecay * this.currentRate;
    if (d !== 0) for (let i = 0; i < w.length; i++) w[i] -= w[i] * d;
  }

  private sgd(weight: Tensor, g: Float32Array): void {
    const { momentum, nesterov } = this.options;
    const lr = this.currentRate;
    const w = weight.data;
    if (momentum === 0) {
      for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
      return;
    }
    const [m] = this.slots(weight, 1);
    for (let i = 0; i < w.length; i++) {
      m[i] = momentum * m[i] - lr * g[i];
      w[i] += nesterov ? momentum * m[i] - lr * g[i] : m[i];
    }
  }

  private adam(weight: Tensor, g: Float32Array): void {
    const { beta1, beta2, epsilon } = this.options;
    const t = this.iterations + 1;
    const alpha = (this.currentRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    const [m, v] = this.slots(weight, 2);
    const w = weight.data;
    for (let i = 0; i < w.length; i++) {
      m[i] += (g[i] - m[i]) * (1 - beta1);
      v[i] += (g[i] * g[i] - v[i]) * (1 - beta2);
      w[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + epsilon);
    }
  }
}
