// Adebayo et al. 2018 ("Sanity Checks for Saliency Maps"), cascading model randomisation, on the
// MNIST CNN: shared by bench/sanity-randomisation.ts (the whole table) and
// test/attribution-sanity.test.ts (the robust part of the finding).
import { join } from 'node:path';
import { Tensor } from '../../src/tensor.ts';
import type { Model } from '../../src/model/model.ts';
import { loadModel } from '../../src/node/load-model.ts';
import { attribute, type AttributeOptions, type AttributionMethod } from '../../src/methods/attribute.ts';
import { predictedClasses } from '../../src/methods/targets.ts';
import { seededRandom } from '../../src/methods/random.ts';
import { mnistBatch } from './mnist-digits.ts';
import { root } from './cli.ts';

export const MNIST_MODEL = join(root, 'test', 'fixtures', 'models', 'mnist_model.h5');

/** The methods of the check, with the options they run with (Adebayo's names in the comments). */
export const SANITY_METHODS: { method: AttributionMethod; options: Partial<AttributeOptions>; label: string }[] = [
  { method: 'saliency', options: {}, label: 'saliency (SaliNet)' }, // Gradient, |g|
  { method: 'integrated-gradients', options: { steps: 32 }, label: 'integrated-gradients' },
  { method: 'gradcam', options: {}, label: 'gradcam' },
  { method: 'gradcam++', options: {}, label: 'gradcam++' },
  { method: 'layercam', options: {}, label: 'layercam' },
  { method: 'scorecam', options: {}, label: 'scorecam' },
  { method: 'guided-backprop', options: {}, label: 'guided-backprop (DeSaliNet)' },
  { method: 'deconvnet', options: {}, label: 'deconvnet' },
  { method: 'input-x-gradient', options: {}, label: 'input-x-gradient' },
  { method: 'smoothgrad', options: { samples: 8 }, label: 'smoothgrad' },
  { method: 'guided-gradcam', options: {}, label: 'guided-gradcam' },
];

/** The nodes with weights from the output down: the order the cascade randomises them in. */
export function cascadeOrder(model: Model): number[] {
  return model.layers.map((l, i) => (Object.keys(l.weights).length > 0 ? i : -1)).filter((i) => i >= 0).reverse();
}

/**
 * Re-initialises node `index`'s weights in place as Keras initialises a fresh layer: kernels
 * Glorot-uniform, limit sqrt(6 / (fan_in + fan_out)) (for the engine's Conv2D kernel
 * (Cout, Cin, KH, KW): fan_in = Cin KH KW, fan_out = Cout KH KW; Dense (in, out)), biases zero;
 * seeded by `seed` and the node's index, so a node gets the same weights at every stage.
 */
export function randomiseLayer(model: Model, index: number, seed = 1): void {
  const layer = model.layers[index];
  const random = seededRandom(seed * 1000 + index);
  for (const [name, t] of Object.entries(layer.weights)) {
    if (name === 'bias') {
      t.data.fill(0);
      continue;
    }
    if (name !== 'kernel' || !(layer.type === 'Conv2D' || layer.type === 'Dense')) throw new Error(`randomiseLayer: no rule for '${layer.name}' (${layer.type}) weight '${name}'`);
    const [fanIn, fanOut] = t.rank === 4 ? [t.shape[1] * t.shape[2] * t.shape[3], t.shape[0] * t.shape[2] * t.shape[3]] : [t.shape[0], t.shape[1]];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < t.size; i++) t.data[i] = (2 * random() - 1) * limit;
  }
  layer.weightsChanged();
}

/** Each sample's map whose ranks are compared: input-space (N, C, H, W) summed |.| over channels; a CAM (N, h, w) as it is (>= 0). */
export function absoluteMaps(a: Tensor): Float64Array[] {
  const n = a.shape[0];
  const per = a.size / n;
  const c = a.rank === 4 ? a.shape[1] : 1;
  const plane = per / c;
  return Array.from({ length: n }, (_, b) => {
    const m = new Float64Array(plane);
    for (let ch = 0; ch < c; ch++) for (let i = 0; i < plane; i++) m[i] += Math.abs(a.data[b * per + ch * plane + i]);
    return m;
  });
}

/** Ranks 1..n with ties given their average rank. */
function ranks(v: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i] - v[j]);
  const r = new Float64Array(v.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && v[order[end]] === v[order[start]]) end++;
    for (let k = start; k < end; k++) r[order[k]] = (start + end + 1) / 2;
    start = end;
  }
  return r;
}

/**
 * Spearman's rank correlation (Pearson's on average ranks); 0 when either map is constant (no
 * ranking to agree with: a CAM that the randomised model zeroes everywhere).
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) ** 2;
    sbb += (rb[i] - mean) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

export interface CascadeResult {
  /** The nodes randomised, top first: stage s has the first s + 1 of them randomised. */
  layers: string[];
  /** The trained model's predicted class of each digit, the target under every model. */
  targets: number[];
  /** Per method label: the mean over digits of Spearman(|trained map|, |randomised map|), one per stage. */
  mean: Record<string, number[]>;
  /**
   * The same over the digit's stroke only (the pixels with x > 0) for input-space maps; null for
   * CAMs. With the zero baseline, integrated gradients and input x gradient are exactly 0 on
   * MNIST's black background (81% of the pixels) under any weights, which alone keeps their
   * whole-image rank correlation near 1.
   */
  stroke: Record<string, number[] | null>;
  /** Per method label and stage: how many digits had a constant map (correlation counted as 0). */
  constant: Record<string, number[]>;
  /** Per stage: how many digits the randomised model still gives the trained model's class. */
  sameClass: number[];
}

/**
 * The cascade: the top 1, 2, ... weighted nodes of a second copy of the model re-initialised in
 * turn (cumulatively); at each stage (up to `stages`) every method's maps of the digits for the
 * trained model's predicted class, compared with the trained model's maps.
 */
export async function cascadingRandomisation(
  digits: Tensor, methods: readonly { method: AttributionMethod; options: Partial<AttributeOptions>; label: string }[], opts: { stages?: number; seed?: number; randomise?: typeof randomiseLayer } = {},
): Promise<CascadeResult> {
  const trained = await loadModel(MNIST_MODEL);
  const randomised = await loadModel(MNIST_MODEL);
  const order = cascadeOrder(randomised);
  const stages = Math.min(opts.stages ?? order.length, order.length);
  const randomise = opts.randomise ?? randomiseLayer;
  const targets = predictedClasses(trained.predict(digits));
  const maps = (model: Model, m: (typeof methods)[number]) => absoluteMaps(attribute(model, digits, { method: m.method, target: targets, ...m.options }).attribution);
  const reference = methods.map((m) => maps(trained, m));
  const [, , H, W] = digits.shape;
  const strokes = Array.from({ length: digits.shape[0] }, (_, b) => {
    const at: number[] = [];
    for (let i = 0; i < H * W; i++) if (digits.data[b * H * W + i] > 0) at.push(i);
    return at;
  });
  const mean: Record<string, number[]> = Object.fromEntries(methods.map((m) => [m.label, []]));
  const stroke: Record<string, number[] | null> = Object.fromEntries(methods.map((m, k) => [m.label, reference[k][0].length === H * W ? [] : null]));
  const constant: Record<string, number[]> = Object.fromEntries(methods.map((m) => [m.label, []]));
  const sameClass: number[] = [];
  for (let s = 0; s < stages; s++) {
    randomise(randomised, order[s], opts.seed ?? 1);
    sameClass.push(predictedClasses(randomised.predict(digits)).filter((k, b) => k === targets[b]).length);
    methods.forEach((m, k) => {
      const now = maps(randomised, m);
      let sum = 0;
      let onStroke = 0;
      let flat = 0;
      now.forEach((map, b) => {
        sum += spearman(reference[k][b], map);
        if (stroke[m.label]) onStroke += spearman(strokes[b].map((i) => reference[k][b][i]), strokes[b].map((i) => map[i]));
        if (isConstant(map) || isConstant(reference[k][b])) flat++;
      });
      mean[m.label].push(sum / now.length);
      stroke[m.label]?.push(onStroke / now.length);
      constant[m.label].push(flat);
    });
  }
  return { layers: order.slice(0, stages).map((i) => randomised.layers[i].name), targets, mean, stroke, constant, sameClass };
}

function isConstant(m: Float64Array): boolean {
  return m.every((v) => v === m[0]);
}
