import type { Command } from '../command.ts';
import { parse, outputPath, modelAndInput, intOption, numberOption } from '../args.ts';
import { UsageError } from '../errors.ts';
import { inputOptionSpecs } from '../input-options.ts';
import { readSingleInput } from '../single-input.ts';
import { progressReporter } from '../progress.ts';
import { loadModel } from '../../node/load-model.ts';
import { writeNpy } from '../../node/inputs.ts';
import { PICTURE_ENDINGS, Canvas } from '../../io/png-output.ts';
import { writePicture } from '../../node/pictures.ts';
import { defaultModelPath } from '../../package-root.ts';
import { occlusion } from '../../methods/occlusion.ts';
import { regularizeHeatmap, upsample } from '../../methods/heatmap.ts';
import { overlayCanvas, readableScale } from '../../methods/render.ts';
import type { Tensor } from '../../tensor.ts';

const usage = `Usage: convscope occlusion [MODEL] INPUT --size S --stride T [--fill V]
                         [--class K | --layer L --channel C] --out FILE.npy|FILE.png|FILE.jpg
                         [--attribution FILE.npy|FILE.png] [--overlay FILE.png|FILE.jpg]
                         [--percentile P] [--blur SIGMA] [--batch N]

Slides an S x S square of value V (default 0, in the model's input units) over INPUT with
stride T, windows at the border cut off, and records the target for every position: the
last layer's output for class K (default: the predicted class), or the sum of layer L's
channel C. --out .npy: the (ny, nx) grid P; .png: P as a heatmap (viridis).
--attribution: the per-pixel map A (mean drop target - P over the windows covering a pixel,
Captum's convention). --overlay: A as a heatmap over the input image.
For the pictures only: --percentile P raises values below the P-th percentile to it, --blur
smooths with a Gaussian of SIGMA pixels; every picture is min-max normalised.`;

export const occlusionCommand: Command = {
  name: 'occlusion',
  summary: 'occlusion sensitivity: slide a square over the input, watch the target fall',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, {
      size: { type: 'string' }, stride: { type: 'string' }, fill: { type: 'string' }, class: { type: 'string' },
      layer: { type: 'string' }, channel: { type: 'string' }, out: { type: 'string' }, attribution: { type: 'string' },
      overlay: { type: 'string' }, percentile: { type: 'string' }, blur: { type: 'string' }, batch: { type: 'string' },
      ...inputOptionSpecs,
    }, usage);
    const { model: modelPath, input } = modelAndInput(positionals, usage, defaultModelPath());
    if (values.size === undefined || values.stride === undefined) throw new UsageError(`--size and --stride are required\n${usage}`);
    if (!values.out) throw new UsageError(`--out is required\n${usage}`);
    if (values.class !== undefined && values.layer !== undefined) throw new UsageError('give either --class or --layer with --channel, not both');
    if ((values.layer === undefined) !== (values.channel === undefined)) throw new UsageError('--layer and --channel go together');
    const out = outputPath(values.out, ['.npy', ...PICTURE_ENDINGS]);
    const attributionOut = values.attribution === undefined ? undefined : outputPath(values.attribution, ['.npy', ...PICTURE_ENDINGS]);
    const overlayOut = values.overlay === undefined ? undefined : outputPath(values.overlay, PICTURE_ENDINGS);
    const heat = {
      percentile: values.percentile === undefined ? undefined : numberOption(values.percentile, 'percentile', 0),
      blur: values.blur === undefined ? undefined : numberOption(values.blur, 'blur', 0),
    };
    const model = await loadModel(modelPath);
    const x = await readSingleInput(input, model, values);
    const progress = progressReporter('occlusion');
    const result = occlusion(model, x, {
      size: intOption(values.size, 'size', 1),
      stride: intOption(values.stride, 'stride', 1),
      fill: numberOption(values.fill, 'fill', 0),
      target: values.class === undefined ? undefined : intOption(values.class, 'class', 0, 0),
      layer: values.layer,
      channel: values.channel === undefined ? undefined : intOption(values.channel, 'channel', 0, 0),
      batchSize: values.batch === undefined ? undefined : intOption(values.batch, 'batch', 1),
      onProgress: progress,
    });
    progress.finish();
    const [, h, w] = model.inputShape;
    await writeMap(out, result.grid, heat);
    if (attributionOut) await writeMap(attributionOut, result.attribution, heat);
    if (overlayOut) writePicture(overlayOut, overlayCanvas(x, upsample(regularizeHeatmap(result.attribution.data, h, w, heat), h, w, h, w)));
    const what = result.targetClass === null ? `sum of ${values.layer} channel ${values.channel}` : `class ${result.targetClass}`;
    console.log(`target ${what}: ${result.baseline.toPrecision(4)} unoccluded; grid ${result.grid.shape.join('x')}; wrote ${[out, attributionOut, overlayOut].filter(Boolean).join(', ')}`);
  },
};

async function writeMap(path: string, map: Tensor, heat: { percentile?: number; blur?: number }): Promise<void> {
  if (path.toLowerCase().endsWith('.npy')) return writeNpy(path, map);
  const [h, w] = map.shape;
  const s = readableScale(h, w);
  const canvas = new Canvas(w * s, h * s);
  canvas.drawMap(regularizeHeatmap(map.data, h, w, heat), h, w, 0, 0, 'viridis', s);
  writePicture(path, canvas);
}
