import { Tensor } from '../tensor.ts';
import type { Model } from '../model/model.ts';
import { walkBackward } from './backward-walk.ts';
import { seededRandom } from './random.ts';
import { gaussianBlur } from './blur.ts';
import { checkChannel, checkLayer, checkModel } from './check-args.ts';
import { argumentError, checkInteger, checkNumber, checkNumberList, checkOptions } from '../check.ts';
import { checkFiniteResult } from '../nonfinite.ts';
import { formatShape } from '../tensor.ts';

export interface MaximizeOptions {
  layer: string;
  /** Channel of a conv layer or unit of a Dense layer. */
  channel: number;
  /** Default 400. */
  iterations?: number;
  /** Step size in input units: each step moves the pixel with the largest gradient by this much. Default 0.16 of the range. */
  lr?: number;
  /** L2 decay: every step multiplies the input by (1 - l2). Default 0.0002. */
  l2?: number;
  /** Blur the input every this many steps (0: never; default 25), with blurSigma (default 0.5 pixels). */
  blurEvery?: number;
  blurSigma?: number;
  /** Shift the input by up to this many pixels at random before each gradient (0: no jitter; default 1). */
  jitter?: number;
  seed?: number;
  /** The model's valid input range; the input is kept inside it. Default 0..255 (the MNIST model's pixels). */
  range?: [number, number];
  /** Called after every step with the steps done, the total, and the image so far (a view: copy it to keep it). */
  onProgress?: (done: number, total: number, image: Tensor) => void;
}

export interface MaximizeResult {
  image: Tensor;
  /** The objective (mean of a_L[c], or the logit for a softmax layer) for the final image. */
  objective: number;
  /** The objective at every step, for plotting progress. */
  history: number[];
}

/**
 * Activation maximisation (Erhan et al. 2009; regularised as in Yosinski et al. 2015): gradient
 * ascent on the input from seeded noise, towards the mean activation of one channel (the logit
 * for a softmax layer), with L2 decay, periodic Gaussian blur and random jitter, the input
 * clamped to the model's valid range. Deterministic for a given seed.
 *
 *   const { image } = maximize(model, { layer: 'conv2', channel: 5, seed: 1 });   // (1, 28, 28)
 */
export function maximize(model: Model, options: MaximizeOptions): MaximizeResult {
  checkModel(model);
  const opts = checkOptions(options);
  const layer = checkLayer(model, opts.layer);
  const index = model.layers.indexOf(layer);
  const c = checkChannel(layer, opts.channel);
  if (model.inputShape.length !== 3) throw argumentError(`maximize needs a model that takes images (C, H, W), not vectors ${formatShape(model.inputShape)}`);
  if (opts.range !== undefined) checkNumberList(opts.range, 'range', [2]);
  const [lo, hi] = opts.range ?? [0, 255];
  if (!(hi > lo)) throw argumentError(`the range ${lo}..${hi} is empty; give [low, high] with low < high`);
  const iterations = opts.iterations ?? 400;
  const lr = opts.lr ?? 0.16 * (hi - lo);
  const l2 = opts.l2 ?? 0.0002;
  const blurEvery = opts.blurEvery ?? 25;
  const blurSigma = opts.blurSigma ?? 0.5;
  const jitter = opts.jitter ?? 1;
  const seed = opts.seed ?? 0;
  checkInteger(iterations, 'iterations', 0);
  checkNumber(lr, 'lr', { above: 0 });
  checkNumber(l2, 'l2', { min: 0, max: 1 });
  checkInteger(blurEvery, 'blurEvery', 0);
  checkNumber(blurSigma, 'blurSigma', { min: 0 });
  checkInteger(jitter, 'jitter', 0);
  checkInteger(seed, 'seed');
  const random = seededRandom(seed);

  const [ci, h, w] = model.inputShape;
  const x = new Tensor([1, ...model.inputShape]);
  for (let i = 0; i < x.size; i++) x.data[i] = lo + (hi - lo) * 0.2 * random();

  const plane = layer.outputShape.slice(1).reduce((a, b) => a * b, 1);
  const onLogits = layer.activation === 'softmax';
  const signal = Tensor.zeros([1, ...layer.outputShape]);
  signal.data.fill(1 / plane, c * plane, (c + 1) * plane);
  const objectiveOf = (t: Tensor) => {
    let s = 0;
    for (let i = 0; i < plane; i++) s += t.data[c * plane + i];
    return s / plane;
  };

  const history: number[] = [];
  for (let step = 0; step < iterations; step++) {
    const dy = jitter > 0 ? Math.floor(random() * (2 * jitter + 1)) - jitter : 0;
    const dx = jitter > 0 ? Math.floor(random() * (2 * jitter + 1)) - jitter : 0;
    const shifted = roll(x, ci, h, w, dy, dx);
    const forward = model.run(shifted, index, true);
    const record = forward.records.get(layer.name)!;
    history.push(objectiveOf(onLogits ? record.z : record.output));
    // Ascend the pre-activation: the same direction for a ReLU where it is positive, and a
    // channel that starts dead (all z <= 0) still gets a gradient.
    const grad = roll(walkBackward(model, forward, index, signal, 'salinet', -1, true), ci, h, w, -dy, -dx);
    let maxAbs = 0;
    for (let i = 0; i < grad.size; i++) maxAbs = Math.max(maxAbs, Math.abs(grad.data[i]));
    const stepSize = maxAbs > 0 ? lr / maxAbs : 0;
    for (let i = 0; i < x.size; i++) x.data[i] = clamp((x.data[i] + stepSize * grad.data[i]) * (1 - l2), lo, hi);
    if (blurEvery > 0 && (step + 1) % blurEvery === 0 && step + 1 < iterations) {
      gaussianBlur(x.data, ci, h, w, blurSigma);
    }
    opts.onProgress?.(step + 1, iterations, x.reshape(model.inputShape));
  }
  const final = model.run(x, index, true).records.get(layer.name)!;
  const objective = objectiveOf(onLogits ? final.z : final.output);
  history.push(objective);
  checkFiniteResult(x.data, model.inputShape, 'the maximised image', false);
  checkFiniteResult([objective], [1], 'the objective', false);
  return { image: x.reshape(model.inputShape), objective, history };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Shifts every plane by (dy, dx), wrapping around (numpy's roll). */
function roll(x: Tensor, planes: number, h: number, w: number, dy: number, dx: number): Tensor {
  if (dy === 0 && dx === 0) return x;
  const out = Tensor.zeros(x.shape);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < h; y++) {
      const sy = (((y - dy) % h) + h) % h;
      for (let xx = 0; xx < w; xx++) {
        const sx = (((xx - dx) % w) + w) % w;
        out.data[(p * h + y) * w + xx] = x.data[(p * h + sy) * w + sx];
      }
    }
  }
  return out;
}
