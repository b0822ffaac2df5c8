import type { Tensor } from '../tensor.ts';
import type { Model } from '../model/model.ts';
import { attribute, type AttributeOptions, type AttributionMethod } from './attribute.ts';
import { attributionFigure, type AttributionSign } from './attribution-display.ts';
import { defaultOcclusionSize } from './occlusion.ts';
import type { ReportFigure, ReportSection } from './report.ts';

interface Entry {
  method: AttributionMethod;
  title: string;
  options?: Partial<AttributeOptions>;
  sign: AttributionSign;
}

// Cheaper settings than the CLI's defaults, so that a report on a big model stays minutes, not hours.
const ENTRIES: Entry[] = [
  { method: 'saliency', title: 'Saliency (Simonyan et al. 2014; Captum Saliency): |gradient|', sign: 'positive' },
  { method: 'input-x-gradient', title: 'Input x gradient (Shrikumar et al. 2016; Captum InputXGradient)', sign: 'all' },
  { method: 'integrated-gradients', title: 'Integrated gradients (Sundararajan et al. 2017; Captum IntegratedGradients), 16 Gauss-Legendre steps from a 0 baseline', options: { steps: 16 }, sign: 'all' },
  { method: 'smoothgrad', title: 'SmoothGrad of saliency (Smilkov et al. 2017; Captum NoiseTunnel), 8 copies, noise 15% of the range', options: { samples: 8 }, sign: 'positive' },
  { method: 'guided-backprop', title: 'Guided backprop = DeSaliNet (Springenberg et al. 2015; Captum GuidedBackprop)', sign: 'all' },
  { method: 'deconvnet', title: 'DeconvNet (Zeiler & Fergus 2014; Captum Deconvolution)', sign: 'all' },
  { method: 'gradcam', title: 'Grad-CAM (Selvaraju et al. 2017; Captum LayerGradCam)', options: { upsample: true }, sign: 'positive' },
  { method: 'gradcam++', title: 'Grad-CAM++ (Chattopadhyay et al. 2018)', options: { upsample: true }, sign: 'positive' },
  { method: 'layercam', title: 'LayerCAM (Jiang et al. 2021)', options: { upsample: true }, sign: 'positive' },
  { method: 'scorecam', title: 'Score-CAM (Wang et al. 2020)', options: { upsample: true }, sign: 'positive' },
  { method: 'guided-gradcam', title: 'Guided Grad-CAM (Selvaraju et al. 2017; Captum GuidedGradCam)', sign: 'all' },
  { method: 'ablation', title: 'Feature ablation of square cells (Captum FeatureAblation), cells set to 0', sign: 'all' },
];

/** The report's progress steps for this section: one per method. */
export const ATTRIBUTION_STEPS = ENTRIES.length;

/** Score-CAM runs one forward pass per channel of its layer; past this many channels the report leaves it out. */
const SCORECAM_CHANNELS = 128;

/**
 * The report's side-by-side comparison of the attribution methods for one class: each method's
 * map and the map over the input, normalised as Captum's visualize_image_attr (2% outliers).
 */
export function attributionSection(
  model: Model, input: Tensor, cls: number, camLayer: string | null, run: { allowNonFinite?: boolean; inputName?: string }, onStep: () => void = () => {},
): ReportSection {
  const figures: ReportFigure[] = [];
  const skipped: string[] = [];
  for (const e of ENTRIES) {
    onStep();
    const cam = e.method.includes('cam');
    if (cam && camLayer === null) continue;
    if (e.method === 'scorecam' && model.layer(camLayer!).outputShape[0] > SCORECAM_CHANNELS) {
      skipped.push(`Score-CAM is left out: ${camLayer} has ${model.layer(camLayer!).outputShape[0]} channels, one forward pass each (run \`convscope attribute --method scorecam\`)`);
      continue;
    }
    const grid = e.method === 'ablation' ? { grid: defaultOcclusionSize(model.inputShape) } : {};
    const r = attribute(model, input, { method: e.method, target: cls, ...(cam ? { layer: camLayer! } : {}), ...e.options, ...grid, ...run });
    const delta = r.delta ? `; completeness delta ${r.delta[0].toPrecision(3)}` : '';
    figures.push({
      file: `attribution-${e.method.replace('++', 'pp')}.png`,
      caption: `${e.title}${cam ? ` at ${camLayer}` : ''}${delta}. The map (${e.sign === 'all' ? 'blue negative, red positive' : 'dark low, yellow high'}), then over the input.`,
      canvas: attributionFigure(input, r.attribution, { sign: e.sign, withInput: false }),
    });
  }
  return {
    title: `Attribution methods compared, class ${cls}`,
    text: `Each method's answer to "which pixels matter for class ${cls}", as docs/ATTRIBUTION.md defines it; gradient methods explain the logit, ablation the output. \`convscope attribute --method NAME\` gives any of them as numbers (.npy) or pictures.${skipped.length ? ` ${skipped.join('. ')}.` : ''}`,
    figures,
  };
}
