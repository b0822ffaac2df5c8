import { Tensor } from '../tensor.ts';
import type { Model, RunOptions } from '../model/model.ts';
import { argumentError, checkBoolean, checkChoice, checkFunction, checkInteger, checkString, checkTensor } from '../check.ts';
import { checkFiniteInput, checkFiniteResult } from '../nonfinite.ts';
import { checkMethodCall } from './check-args.ts';
import { checkCamLayer, checkFeeds, defaultGradCamLayer } from './grad-cam.ts';
import { defaultOcclusionSize, defaultOcclusionStride, occlusion } from './occlusion.ts';
import { resolveTarget, type AttributionTarget, type NodeTarget } from './attribution/target.ts';
import { baselineRows, type Baseline } from './attribution/baseline.ts';
import { inputMethodRows, INPUT_METHODS, type InputMethod } from './attribution/input-methods.ts';
import { INTEGRATION_RULES, type IntegrationRule } from './attribution/integration.ts';
import { noiseTunnel, NOISE_TUNNEL_TYPES } from './attribution/noise-tunnel.ts';
import { camRows, upsampleMaps, CAM_METHODS, type CamMethod } from './attribution/cam.ts';
import { guidedGradCamRows } from './attribution/guided-grad-cam.ts';
import { featureAblationRows, featureLabels } from './attribution/feature-ablation.ts';

export const ATTRIBUTION_METHODS = [...INPUT_METHODS, ...NOISE_TUNNEL_TYPES, ...CAM_METHODS, 'guided-gradcam', 'ablation', 'occlusion'] as const;
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];
/** Short names accepted for the methods (Captum's and tf-keras-vis's). */
const ALIASES: Record<string, AttributionMethod> = { ig: 'integrated-gradients', 'smoothgrad_sq': 'smoothgrad-sq', 'guided': 'guided-backprop', 'feature-ablation': 'ablation' };

export interface AttributeOptions extends RunOptions {
  method: AttributionMethod | keyof typeof ALIASES;
  /** A class, one class per sample, or {layer, channel} (channel: one, or one per sample); default: each sample's predicted class. */
  target?: AttributionTarget;
  /** The CAM methods' layer, with a (C, H, W) output; default SEMANTICS.md's Grad-CAM layer. */
  layer?: string;
  /** Integrated gradients, feature ablation, occlusion: Captum's baselines (default 0). */
  baseline?: Baseline;
  /** Integrated gradients: path points (default 50) and Captum's rule (default gausslegendre). */
  steps?: number;
  integration?: IntegrationRule;
  /** Saliency: |gradient| (default true, Captum's abs). */
  abs?: boolean;
  /** The noise tunnel: the method under the noise (default saliency), copies per sample (5), noise sd, seed (0). */
  of?: InputMethod;
  samples?: number;
  stdevs?: number;
  seed?: number;
  /** CAMs: bring the map to the input's size, bilinearly. */
  upsample?: boolean;
  /** Guided Grad-CAM: how the CAM is brought to the input; default 'nearest' (Captum's). */
  interpolate?: 'nearest' | 'bilinear';
  /** Feature ablation: a label image (H, W) or (C, H, W), or square cells of side `grid` (default occlusion's size). */
  mask?: Tensor;
  grid?: number;
  /** Occlusion: the window's side (default a quarter of the smaller side) and stride (default half of it). */
  size?: number;
  stride?: number;
  /** Called with (done, total) as the work goes on. */
  onProgress?: (done: number, total: number) => void;
}

export interface AttributeResult {
  /** Input-space methods: (N, C, H, W); CAMs: (N, h, w) or upsampled (N, H, W); occlusion: (N, H, W). Without N for one sample. */
  attribution: Tensor;
  method: AttributionMethod;
  /** Each sample's class, or null for a node target. */
  targets: (number | null)[];
  /** Integrated gradients: Captum's completeness delta per sample, sum(IG) - (f(x) - f(x')). */
  delta?: Float32Array;
  /** Grad-CAM, Grad-CAM++, Score-CAM: the channel weights (N, K). */
  weights?: Tensor;
  /** Occlusion: the target with each window occluded (N, ny, nx). Guided Grad-CAM: the Grad-CAM map (N, h, w). */
  grid?: Tensor;
  cam?: Tensor;
  /** The CAM methods' layer. */
  layer?: string;
}

const COMMON = ['method', 'target', 'allowNonFinite', 'inputName', 'onProgress'];
const NOISE = ['of', 'samples', 'stdevs', 'seed', 'abs', 'steps', 'integration', 'baseline'];
const OPTIONS: Record<AttributionMethod, string[]> = {
  saliency: ['abs'], 'input-x-gradient': [], 'guided-backprop': [], deconvnet: [],
  'integrated-gradients': ['baseline', 'steps', 'integration'],
  smoothgrad: NOISE, 'smoothgrad-sq': NOISE, vargrad: NOISE,
  gradcam: ['layer', 'upsample'], 'gradcam++': ['layer', 'upsample'], layercam: ['layer', 'upsample'], scorecam: ['layer', 'upsample'],
  'guided-gradcam': ['layer', 'interpolate'],
  ablation: ['baseline', 'mask', 'grid'],
  occlusion: ['baseline', 'size', 'stride'],
};

/** The options a method takes besides its target (and the run options). */
export function methodOptions(method: AttributionMethod): string[] {
  return [...OPTIONS[method]];
}

/** The method's canonical name from a name or an alias; the message lists the methods. */
export function parseAttributionMethod(name: unknown): AttributionMethod {
  const canonical = typeof name === 'string' ? (ALIASES[name] ?? name) : name;
  checkChoice(canonical, 'method', ATTRIBUTION_METHODS);
  return canonical;
}

/**
 * Attribution by any of the methods Captum and tf-keras-vis users reach for, each as
 * docs/ATTRIBUTION.md defines it: one sample (C, H, W) or a batch (N, C, H, W) run through the
 * engine as a batch, with a target per sample.
 *
 *   const { attribution, delta } = attribute(model, digits, { method: 'integrated-gradients', target: [3, 5, 7], steps: 64 });
 */
export function attribute(model: Model, input: Tensor, options: AttributeOptions): AttributeResult {
  const opts = checkMethodCall(model, input, options, true);
  const method = parseAttributionMethod(opts.method);
  const allowed = new Set([...COMMON, ...OPTIONS[method]]);
  for (const key of Object.keys(opts)) {
    if (!allowed.has(key) && (opts as unknown as Record<string, unknown>)[key] !== undefined) {
      throw argumentError(`option '${key}' does not apply to ${method}; its options: ${[...OPTIONS[method], 'target'].join(', ')}`);
    }
  }
  checkBoolean(opts.abs, 'abs');
  if (opts.inputName !== undefined) checkString(opts.inputName, 'inputName');
  if (opts.mask !== undefined) checkTensor(opts.mask, 'the feature mask');
  checkBoolean(opts.upsample, 'upsample');
  checkFunction(opts.onProgress, 'onProgress');
  if (opts.integration !== undefined) checkChoice(opts.integration, 'integration', INTEGRATION_RULES, 'integration rules');
  if (opts.steps !== undefined) checkInteger(opts.steps, 'steps', 2);
  if (opts.interpolate !== undefined) checkChoice(opts.interpolate, 'interpolate', ['nearest', 'bilinear'], 'interpolation modes');
  const { batch, batched } = model.toBatch(input);
  const inputName = opts.inputName ?? 'the input';
  checkFiniteInput(batch.data, batch.shape, inputName, opts.allowNonFinite);
  const strip = (t: Tensor) => (batched ? t : t.reshape(t.shape.slice(1)));
  const finish = (result: Omit<AttributeResult, 'method'>): AttributeResult => {
    checkFiniteResult(result.attribution.data, result.attribution.shape, `the ${method} attribution`, opts.allowNonFinite);
    return { ...result, method, attribution: strip(result.attribution), weights: result.weights && strip(result.weights), grid: result.grid && strip(result.grid), cam: result.cam && strip(result.cam) };
  };
  const inputSpace = isOneOf(method, INPUT_METHODS);
  const noisy = isOneOf(method, NOISE_TUNNEL_TYPES);
  if (!inputSpace && !noisy && model.inputShape.length !== 3) throw argumentError(`${method} needs a model that takes images (C, H, W); this one takes ${model.inputShape.join('x')}`);

  if (method === 'occlusion') {
    const size = opts.size ?? defaultOcclusionSize(model.inputShape);
    const node = isNodeTarget(opts.target) ? opts.target : undefined;
    const r = occlusion(model, batch, {
      size, stride: opts.stride ?? defaultOcclusionStride(size), baseline: opts.baseline, onProgress: opts.onProgress,
      target: node ? undefined : (opts.target as number | number[] | undefined), layer: node?.layer, channel: node?.channel,
      allowNonFinite: opts.allowNonFinite, inputName,
    });
    return finish({ attribution: r.attribution, grid: r.grid, targets: r.targetClasses });
  }

  const n = batch.shape[0];
  const t = resolveTarget(model, opts.target, n, () => model.predict(batch, undefined, { allowNonFinite: opts.allowNonFinite }));
  const inner = { abs: opts.abs, steps: opts.steps, integration: opts.integration, onProgress: opts.onProgress };
  if (inputSpace) {
    const r = inputMethodRows(model, method, batch, t, t.channels, baselineRows(batch, opts.baseline), inner);
    return finish({ attribution: r.attribution, delta: r.delta, targets: t.classes });
  }
  if (noisy) {
    const attribution = noiseTunnel(model, method, batch, t, baselineRows(batch, opts.baseline), { ...inner, of: opts.of, samples: opts.samples, stdevs: opts.stdevs, seed: opts.seed });
    return finish({ attribution, targets: t.classes });
  }
  if (method === 'ablation') {
    const labels = featureLabels(model.inputShape, opts.mask, opts.grid ?? defaultOcclusionSize(model.inputShape));
    return finish({ attribution: featureAblationRows(model, batch, t, baselineRows(batch, opts.baseline), labels, opts.onProgress), targets: t.classes });
  }
  const layerName = checkCamLayer(model, opts.layer ?? defaultGradCamLayer(model)).name;
  const layer = model.layerIndex(layerName);
  checkFeeds(model, layer, t.node);
  const [, H, W] = model.inputShape;
  if (method === 'guided-gradcam') {
    const r = guidedGradCamRows(model, batch, t, layer, opts.interpolate ?? 'nearest');
    return finish({ attribution: r.attribution, cam: r.cam, targets: t.classes, layer: layerName });
  }
  const { cam, weights } = camRows(model, method as CamMethod, batch, t, layer, opts.onProgress);
  return finish({ attribution: opts.upsample ? upsampleMaps(cam, H, W) : cam, weights: weights ?? undefined, targets: t.classes, layer: layerName });
}

function isOneOf<T extends string>(method: string, methods: readonly T[]): method is T {
  return (methods as readonly string[]).includes(method);
}

function isNodeTarget(target: AttributionTarget | undefined): target is NodeTarget {
  return typeof target === 'object' && target !== null && !Array.isArray(target);
}
