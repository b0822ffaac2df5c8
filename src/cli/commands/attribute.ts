import type { Command } from '../command.ts';
import { parse, modelAndInput, intOption, numberOption, numberList, choiceOption } from '../args.ts';
import { UsageError } from '../errors.ts';
import { checkOutputs } from '../outputs.ts';
import { inputOptionSpecs, inputOptionsHelp, runOptionsFor, loadModelFor, readInputFor, type InputOptionValues } from '../input-options.ts';
import { progressReporter } from '../progress.ts';
import { tensorOrPicture } from '../encode.ts';
import { PICTURE_ENDINGS } from '../../io/png-output.ts';
import { writeOutputs } from '../../node/output-set.ts';
import { readNpyTensor } from '../../node/inputs.ts';
import { defaultModelPath } from '../../package-root.ts';
import { attribute, methodOptions, parseAttributionMethod, ATTRIBUTION_METHODS, type AttributeOptions, type AttributionMethod } from '../../methods/attribute.ts';
import { INPUT_METHODS, type InputMethod } from '../../methods/attribution/input-methods.ts';
import { INTEGRATION_RULES } from '../../methods/attribution/integration.ts';
import type { Baseline } from '../../methods/attribution/baseline.ts';
import { attributionFigure, ATTRIBUTION_SIGNS } from '../../methods/attribution-display.ts';
import { besides } from '../../methods/render.ts';
import type { Model } from '../../model/model.ts';
import { Tensor } from '../../tensor.ts';

const usage = `Usage: convscope attribute [MODEL] INPUT [--method METHOD] [--class K[,K...] | --node L --channel C[,C...]]
                         [--out FILE.npy|FILE.png|FILE.jpg] [method options] [--sign S] [--outlier-perc P]

Attribution by the methods of Captum and tf-keras-vis, each as docs/ATTRIBUTION.md defines it.
INPUT is one image or .npy sample, or a .npy batch (N, C, H, W): every sample is explained, all
run as one batch. The target: --class K (one for all, or one per sample, comma-separated), or
the sum of node L's channel C (--node L --channel C); default each sample's predicted class.
Gradient methods explain the class's logit; occlusion and ablation its output (probability).
Methods (--method, default integrated-gradients):
  saliency (|gradient|; --signed for the gradient)   input-x-gradient   guided-backprop   deconvnet
  integrated-gradients, ig: --baseline B, --steps N (50), --integration ${INTEGRATION_RULES.join('|')} (gausslegendre)
  smoothgrad | smoothgrad-sq | vargrad: the noise tunnel around --of ${INPUT_METHODS.join('|')} (saliency),
      --samples N (5), --stdevs S (default 0.15 x each sample's range), --seed N (0)
  gradcam | gradcam++ | layercam | scorecam: --layer L (default the last (C, H, W) layer), --upsample
  guided-gradcam: --layer L, --interpolate nearest|bilinear (nearest, Captum's)
  ablation: --grid S (square cells, default a quarter of the smaller side) or --mask LABELS.npy, --baseline B
  occlusion: --size S --stride T (defaults as convscope occlusion), --baseline B
--baseline: a number (default 0), one per channel (0.5,0.4,0.4), blur (Gaussian, sigma a tenth of
the smaller side), blur:SIGMA, or a file (.npy, or an image read as INPUT is).
--out .npy: the attribution as numbers ((N,) C, H, W; a CAM's map at the layer's size unless
--upsample); a picture: per sample the input, the map and the map over the input, with a legend
(default attribution.png). --sign all|positive|negative|absolute_value (default positive for
maps that are never negative, all for the others) and --outlier-perc P (2) as Captum's
visualize_image_attr.
${inputOptionsHelp}`;

const specs = {
  method: { type: 'string' }, class: { type: 'string' }, node: { type: 'string' }, channel: { type: 'string' }, layer: { type: 'string' },
  baseline: { type: 'string' }, steps: { type: 'string' }, integration: { type: 'string' }, signed: { type: 'boolean' },
  of: { type: 'string' }, samples: { type: 'string' }, stdevs: { type: 'string' }, seed: { type: 'string' },
  upsample: { type: 'boolean' }, interpolate: { type: 'string' }, grid: { type: 'string' }, mask: { type: 'string' },
  size: { type: 'string' }, stride: { type: 'string' }, out: { type: 'string' }, sign: { type: 'string' }, 'outlier-perc': { type: 'string' },
  ...inputOptionSpecs,
} as const;

export const attributeCommand: Command = {
  name: 'attribute',
  summary: 'attribution: integrated gradients, SmoothGrad, Grad-CAM++, Score-CAM, ablation and more, batched',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, specs, usage);
    const { model: modelPath, input } = modelAndInput(positionals, usage, defaultModelPath());
    const method = methodOption(values.method ?? 'integrated-gradients');
    const given = optionsGiven(values);
    const out = values.out ?? 'attribution.png';
    const sign = choiceOption(values.sign ?? (nonNegative(method, values) ? 'positive' : 'all'), 'sign', ATTRIBUTION_SIGNS, { absolute: 'absolute_value' });
    const outlierPerc = numberOption(values['outlier-perc'], 'outlier-perc', 2);
    if (outlierPerc < 0 || outlierPerc > 100) throw new UsageError(`--outlier-perc must be from 0 to 100, not '${values['outlier-perc']}'`);
    if (values.class !== undefined && values.node !== undefined) throw new UsageError('give either --class or --node with --channel, not both');
    if ((values.node === undefined) !== (values.channel === undefined)) throw new UsageError('--node and --channel go together');
    checkOutputs([{ option: '--out', path: out, endings: ['.npy', ...PICTURE_ENDINGS] }], [modelPath, input]);
    const options: AttributeOptions = {
      method,
      target: values.node !== undefined ? { layer: values.node, channel: integers(values.channel!, 'channel') } : values.class !== undefined ? integers(values.class, 'class') : undefined,
      layer: values.layer,
      steps: values.steps === undefined ? undefined : intOption(values.steps, 'steps', 50, 2),
      integration: values.integration === undefined ? undefined : choiceOption(values.integration, 'integration', INTEGRATION_RULES),
      abs: values.signed ? false : undefined,
      of: values.of === undefined ? undefined : choiceOption<InputMethod>(values.of, 'of', INPUT_METHODS, { ig: 'integrated-gradients', guided: 'guided-backprop' }),
      samples: values.samples === undefined ? undefined : intOption(values.samples, 'samples', 5),
      stdevs: values.stdevs === undefined ? undefined : atLeastZero(values.stdevs, 'stdevs'),
      seed: values.seed === undefined ? undefined : intOption(values.seed, 'seed', 0, 0),
      upsample: values.upsample,
      interpolate: values.interpolate === undefined ? undefined : choiceOption(values.interpolate, 'interpolate', ['nearest', 'bilinear'] as const),
      grid: values.grid === undefined ? undefined : intOption(values.grid, 'grid', 1),
      size: values.size === undefined ? undefined : intOption(values.size, 'size', 1),
      stride: values.stride === undefined ? undefined : intOption(values.stride, 'stride', 1),
    };
    checkApplies(method, given);
    const model = await loadModelFor(modelPath, values);
    const x = await readInputFor(input, model, values);
    if (values.baseline !== undefined) options.baseline = await readBaseline(values.baseline, model, values);
    if (values.mask !== undefined) options.mask = await readNpyTensor(values.mask);
    const progress = progressReporter(method);
    const result = attribute(model, x, { ...options, onProgress: progress, ...runOptionsFor(input, values) });
    progress.finish();
    const { batch, batched } = model.toBatch(x);
    const n = batch.shape[0];
    const maps = batched ? result.attribution : result.attribution.reshape([1, ...result.attribution.shape]);
    const sample = (t: Tensor, b: number) => new Tensor(t.shape.slice(1), t.data.subarray(b * (t.size / n), (b + 1) * (t.size / n)));
    writeOutputs((set) => set.file(out, tensorOrPicture(out, result.attribution, () => besides(Array.from({ length: n }, (_, b) => attributionFigure(
      sample(batch, b), sample(maps, b),
      { sign, outlierPerc, caption: `${n > 1 ? `sample ${b}: ` : ''}${describeTarget(result.targets[b], options)}, ${method}` },
    )), 6, true))));
    const targets = result.targets.every((t) => t === null) ? `node ${values.node} channel ${values.channel}` : `class ${result.targets.join(',')}`;
    const delta = result.delta ? `; completeness delta ${Array.from(result.delta, (d) => d.toPrecision(3)).join(',')}` : '';
    const layer = result.layer ? `, layer ${result.layer}` : '';
    console.log(`${method} for ${targets}${layer}${delta}; wrote ${out}`);
  },
};

function describeTarget(target: number | null, options: AttributeOptions): string {
  if (target !== null) return `class ${target}`;
  const node = options.target as { layer: string };
  return `node ${node.layer}`;
}

/** The options given on the command line that only some methods take, by their library name (--signed is abs: false). */
function optionsGiven(values: Record<string, unknown>): string[] {
  const methodOnly = ['layer', 'baseline', 'steps', 'integration', 'signed', 'of', 'samples', 'stdevs', 'seed', 'upsample', 'interpolate', 'grid', 'mask', 'size', 'stride'];
  return methodOnly.filter((k) => values[k] !== undefined).map((k) => (k === 'signed' ? 'abs' : k));
}

const FLAG: Record<string, string> = { abs: 'signed' };

/** An option that the method does not take is a usage error naming the options it does take. */
function checkApplies(method: AttributionMethod, given: string[]): void {
  const takes = methodOptions(method);
  const wrong = given.find((k) => !takes.includes(k));
  if (wrong !== undefined) {
    const flags = takes.map((k) => `--${FLAG[k] ?? k}`);
    throw new UsageError(`--${FLAG[wrong] ?? wrong} does not apply to ${method}; ${flags.length ? `its options: ${flags.join(', ')}` : 'it takes only a target (--class, or --node with --channel)'}`);
  }
}

/** --method: a method or one of the library's aliases; the message lists the methods and `ig`. */
function methodOption(name: string): AttributionMethod {
  try {
    return parseAttributionMethod(name);
  } catch {
    throw new UsageError(`--method must be one of ${ATTRIBUTION_METHODS.join(', ')}, ig, not '${name}'`);
  }
}

/** Methods whose maps are never negative are shown on 'positive' by default, the others on 'all'. */
function nonNegative(method: AttributionMethod, values: { signed?: boolean; of?: string }): boolean {
  const absSaliency = (m: string | undefined) => (m === undefined || m === 'saliency') && !values.signed;
  if (method === 'saliency') return absSaliency(method);
  if (method === 'smoothgrad') return absSaliency(values.of);
  return ['smoothgrad-sq', 'vargrad', 'gradcam', 'gradcam++', 'layercam', 'scorecam'].includes(method);
}

function integers(text: string, name: string): number | number[] {
  const list = text.split(',').map((v) => intOption(v, name, 0, 0));
  return list.length === 1 ? list[0] : list;
}

function atLeastZero(text: string, name: string): number {
  const v = numberOption(text, name, 0);
  if (v < 0) throw new UsageError(`--${name} must be a number >= 0, not '${text}'`);
  return v;
}

/** --baseline: a number, numbers per channel, blur, blur:SIGMA, or a file read as the input is. */
async function readBaseline(text: string, model: Model, values: InputOptionValues): Promise<Baseline> {
  if (text === 'blur') return 'blur';
  const blur = /^blur:(.*)$/.exec(text);
  if (blur) {
    const sigma = Number(blur[1]);
    if (!(Number.isFinite(sigma) && sigma > 0)) throw new UsageError(`--baseline blur:SIGMA needs a sigma > 0, not '${blur[1]}'`);
    return { blur: sigma };
  }
  if (/^[-+\d.,eE\s]+$/.test(text)) {
    const list = numberList(text, 'baseline')!;
    return list.length === 1 ? list[0] : list;
  }
  return readInputFor(text, model, values);
}
