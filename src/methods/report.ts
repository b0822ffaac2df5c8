import type { Tensor } from '../tensor.ts';
import type { Model } from '../model/model.ts';
import type { Canvas } from '../io/png-output.ts';
import { Canvas as PlainCanvas } from '../io/png-output.ts';
import { featureMapGrid } from './feature-maps.ts';
import { topChannels } from './top-channels.ts';
import { topChannelsCanvas } from './top-channels-render.ts';
import { occlusion } from './occlusion.ts';
import { defaultGradCamLayer, gradCam } from './grad-cam.ts';
import { regularizeHeatmap, upsample } from './heatmap.ts';
import { inputCanvas, overlayCanvas, readableScale } from './render.ts';
import { classScores, predictedClass } from './targets.ts';
import type { BackwardMethod } from './backward-net.ts';
import { checkMethodCall } from './check-args.ts';
import { attributionSection, ATTRIBUTION_STEPS } from './report-attribution.ts';
import { checkFunction, checkInteger, checkString } from '../check.ts';

export interface ReportFigure {
  file: string;
  caption: string;
  canvas: Canvas;
}

export interface ReportSection {
  title: string;
  text?: string;
  figures: ReportFigure[];
}

export interface Report {
  title: string;
  prediction: { cls: number; value: number }[];
  sections: ReportSection[];
  /** Where the same model and input open in the browser app: the command that serves them and its address. */
  app?: { command: string; url: string };
}

const METHODS: BackwardMethod[] = ['deconvnet', 'salinet', 'desalinet'];

/**
 * Everything convscope shows for one input, as pictures with captions: the input and the
 * prediction; every layer's feature maps; every conv layer's top channels with their
 * DeconvNet, SaliNet and DeSaliNet reconstructions; occlusion and Grad-CAM for the predicted class.
 * NaN or Infinity in the input or a result is an error (E_NONFINITE) unless `allowNonFinite` is set.
 */
export function buildReport(
  model: Model, input: Tensor,
  options: { inputName: string; modelName: string; topK?: number; allowNonFinite?: boolean; onProgress?: (done: number, total: number) => void },
): Report {
  const opts = checkMethodCall(model, input, options, false);
  checkString(opts.inputName, 'inputName');
  checkString(opts.modelName, 'modelName');
  checkFunction(opts.onProgress, 'onProgress');
  const k = opts.topK ?? 6;
  checkInteger(k, 'topK', 1);
  const allowNonFinite = opts.allowNonFinite;
  const sample = model.toBatch(input).batch.reshape(model.inputShape);
  const forward = model.forward(input, undefined, { allowNonFinite, inputName: opts.inputName });
  const output = classScores(forward.output, 0);
  const cls = predictedClass(output);
  const prediction = Array.from(output, (value, c) => ({ cls: c, value })).sort((a, b) => b.value - a.value).slice(0, 5);
  const sections: ReportSection[] = [];
  const [, h, w] = model.inputShape;
  const imageLike = model.inputShape.length === 3;

  if (imageLike) {
    sections.push({
      title: 'Input',
      text: `${opts.inputName}, as the model sees it: ${model.inputShape.join('x')} (channels, height, width).`,
      figures: [{ file: 'input.png', caption: `The input (${opts.inputName}), upscaled for viewing.`, canvas: inputCanvas(sample) }],
    });
  }

  const shown = reportNodes(model);
  const subset = shown.length < model.layers.length;
  const subsetText = subset
    ? ` The model has ${model.layers.length} nodes, too many to read; shown: the last conv node of each stage (each output size), and the output: ${shown.map((i) => model.layers[i].name).join(', ')}. \`convscope activations --layer NAME\` shows any other.`
    : '';
  sections.push({
    title: 'Feature maps',
    text: `${subset ? 'Selected nodes\'' : 'Every layer\'s'} output for this input. One tile per channel, each normalised on its own (viridis: dark purple low, yellow high); the number above a tile is its channel.${subsetText}`,
    figures: shown.map((i) => model.layers[i]).map((l, i) => {
      const a = forward.records.get(l.name)!.output;
      const strongest = subset && l.outputShape.length === 3 && l.outputShape[0] > SUBSET_CHANNELS ? strongestChannels(a.data, l.outputShape, SUBSET_CHANNELS) : undefined;
      return {
        file: `layer-${String(i).padStart(2, '0')}-${safe(l.name)}.png`,
        caption: `${l.name} (${l.type}${l.activation !== 'linear' ? `, ${l.activation}` : ''}): output ${l.outputShape.join('x')}${l.outputShape.length === 1 ? ', the units laid out row by row in one tile' : ''}${strongest ? `; its ${SUBSET_CHANNELS} strongest channels of ${l.outputShape[0]} (by maximum), strongest first` : ''}.`,
        canvas: featureMapGrid(a.data, l.outputShape, strongest),
      };
    }),
  });

  const convs = shown.map((i) => model.layers[i]).filter((l) => CONV_TYPES.includes(l.type) && l.outputShape.length === 3);
  // progress in steps: the feature maps, each conv layer's top channels, occlusion and Grad-CAM, the attribution methods
  const steps = 1 + (imageLike ? convs.length + 2 + ATTRIBUTION_STEPS : 0);
  let done = 1;
  const step = () => opts.onProgress?.(done++, steps);
  step();
  if (imageLike && convs.length > 0) {
    sections.push({
      title: 'Top channels and what drives them',
      text: `For each conv ${subset ? 'node shown above' : 'layer'}, the ${k} channels with the largest activation. Each row: the channel's feature map, then the whole channel projected back to the input by DeconvNet (Zeiler & Fergus), SaliNet (the gradient; Simonyan et al.) and DeSaliNet (Mahendran & Vedaldi; = guided backprop). Reconstructions: blue negative, white zero, red positive, each normalised symmetrically.`,
      figures: convs.map((l) => ({
        file: `top-${safe(l.name)}.png`,
        caption: `${l.name}: top ${Math.min(k, l.outputShape[0])} channels by maximum activation; feature map, then the channel (unit all) through DeconvNet, SaliNet, DeSaliNet.`,
        canvas: (step(), topChannelsCanvas(topChannels(model, input, { layer: l.name, k, methods: METHODS, unit: 'all', allowNonFinite, inputName: opts.inputName }), METHODS)),
      })),
    });
  }

  if (imageLike) {
    const size = Math.max(2, Math.round(Math.min(h, w) / 4));
    const stride = Math.max(1, Math.round(size / 3));
    const occ = occlusion(model, input, { size, stride, target: cls, allowNonFinite, inputName: opts.inputName });
    step();
    const s = readableScale(occ.grid.shape[0], occ.grid.shape[1]);
    const gridCanvas = new PlainCanvas(occ.grid.shape[1] * s, occ.grid.shape[0] * s);
    gridCanvas.drawMap(regularizeHeatmap(occ.grid.data, occ.grid.shape[0], occ.grid.shape[1]), occ.grid.shape[0], occ.grid.shape[1], 0, 0, 'viridis', s);
    const figures: ReportFigure[] = [
      { file: 'occlusion-grid.png', caption: `Occlusion: the probability of class ${cls} with a ${size}x${size} square of 0 at each position (stride ${stride}); dark where covering the input hurts the prediction most.`, canvas: gridCanvas },
      { file: 'occlusion-overlay.png', caption: `Occlusion attribution over the input: the mean drop in the class ${cls} output when a pixel is covered (bright = important).`, canvas: overlayCanvas(sample, regularizeHeatmap(occ.attribution.data, h, w)) },
    ];
    const lastConv = gradCamNode(model);
    if (lastConv) {
      const cam = gradCam(model, input, { layer: lastConv.name, target: cls, allowNonFinite, inputName: opts.inputName });
      const [ch, cw] = cam.cam.shape;
      figures.push({
        file: 'gradcam.png',
        caption: `Grad-CAM for class ${cls} at ${lastConv.name} (${ch}x${cw}), upsampled bilinearly over the input (bright = where the layer sees the class).`,
        canvas: overlayCanvas(sample, regularizeHeatmap(upsample(cam.cam.data, ch, cw, h, w), h, w)),
      });
    }
    sections.push({ title: `Where the model looks for class ${cls}`, figures });
    step();
    sections.push(attributionSection(model, sample, cls, lastConv?.name ?? null, { allowNonFinite, inputName: opts.inputName }, step));
  }

  return { title: `convscope: ${opts.modelName} on ${opts.inputName}`, prediction, sections };
}

const CONV_TYPES = ['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose'];

/** In a big graph's report, each node's feature maps show at most this many channels. */
const SUBSET_CHANNELS = 32;

/** The k channels of a (C, H, W) map with the largest maximum, strongest first. */
function strongestChannels(values: Float32Array, [c, h, w]: readonly number[], k: number): number[] {
  const peak = Array.from({ length: c }, (_, ch) => {
    let m = -Infinity;
    for (let i = ch * h * w; i < (ch + 1) * h * w; i++) if (values[i] > m) m = values[i];
    return { ch, m };
  });
  return peak.sort((a, b) => b.m - a.m || a.ch - b.ch).slice(0, k).map((p) => p.ch);
}

/** Past this many nodes the report shows a subset (reportNodes). */
const READABLE_NODES = 24;

/**
 * The nodes the report shows: all of a small model's; of a big graph's, the last conv node of
 * each stage (each run of nodes with the same output size, in topological order) and the output.
 */
export function reportNodes(model: Model): number[] {
  const all = model.layers.map((_, i) => i);
  if (model.layers.length <= READABLE_NODES) return all;
  const lastOfStage = new Map<string, number>();
  for (const i of model.ancestors(model.outputIndex)) {
    const l = model.layers[i];
    if (l.outputShape.length === 3 && CONV_TYPES.includes(l.type)) lastOfStage.set(`${l.outputShape[1]}x${l.outputShape[2]}`, i);
  }
  return [...new Set([...lastOfStage.values(), model.outputIndex])].sort((a, b) => a - b);
}

/** Grad-CAM's node in the report: SEMANTICS.md's default, when the model has one. */
function gradCamNode(model: Model): { name: string } | null {
  return model.layers.some((l) => l.outputShape.length === 3 && l.type !== 'InputLayer') ? { name: defaultGradCamLayer(model) } : null;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}
