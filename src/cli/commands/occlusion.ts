import type { Command } from '../command.ts';
import { parse, modelAndInput, intOption, numberOption } from '../args.ts';
import { UsageError } from '../errors.ts';
import { checkOutputs } from '../outputs.ts';
import { inputOptionSpecs, inputOptionsHelp, runOptionsFor, loadModelFor } from '../input-options.ts';
import { readSingleInput } from '../single-input.ts';
import { progressReporter } from '../progress.ts';
import { tensorOrPicture } from '../encode.ts';
import { encodePicture, PICTURE_ENDINGS, Canvas } from '../../io/png-output.ts';
import { writeOutputs } from '../../node/output-set.ts';
import { defaultModelPath } from '../../package-root.ts';
import { defaultOcclusionSize, defaultOcclusionStride, occlusion } from '../../methods/occlusion.ts';
import { regularizeHeatmap, upsample } from '../../methods/heatmap.ts';
import { overlayCanvas, readableScale } from '../../methods/render.ts';
import type { Tensor } from '../../tensor.ts';

const usage = `Usage: convscope occlusion [MODEL] INPUT [--size S] [--stride T] [--fill V]
                         [--class K | --layer L --channel C] [--out FILE.npy|FILE.png|FILE.jpg]
                         [--attribution FILE.npy|FILE.png] [--overlay FILE.png|FILE.jpg]
                         [--percentile P] [--blur SIGMA] [--batch N]

Slides an S x S square of value V (default 0, in the model's input units) over INPUT with
stride T, windows at the border cut off, and records the target for every position: the
last layer's output for class K (default: the predicted class), or the sum of layer L's
channel C. Defaults: S = a quarter of the input's smaller side, rounded, at least 1 (7 for
28x28); T = half of S, rounded down, at least 1.
--out .npy: the (ny, nx) grid P; .png: P as a heatmap (viridis); default occlusion.png.
--attribution: the per-pixel map A (mean drop target - P over the windows covering a pixel,
Captum's convention). --overlay: A as a heatmap over the input image.
For the pictures only: --percentile P raises values below the P-th percentile to it, --blur
smooths with a Gaussian of SIGMA pixels; every picture is min-max normalised.
All outputs are written, or none.
${inputOptionsHelp}`;

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
    if (values.class !== undefined && values.layer !== undefined) throw new UsageError('give either --class or --layer with --channel, not both');
    if ((values.layer === undefined) !== (values.channel === undefined)) throw new UsageError('--layer and --channel go together');
    const out = values.out ?? 'occlusion.png';
    const { attribution: attributionOut, overlay: overlayOut } = values;
    const givenSize = values.size === undefined ? undefined : intOption(values.size, 'size', 1);
    const givenStride = values.stride === undefined ? undefined : intOption(values.stride, 'stride', 1);
    const options = {
      fill: numberOption(values.fill, 'fill', 0),
      target: values.class === undefined ? undefined : intOption(values.class, 'class', 0, 0),
      layer: values.layer,
      channel: values.channel === undefined ? undefined : intOption(values.channel, 'channel', 0, 0),
      batchSize: values.batch === undefined ? undefined : intOption(values.batch, 'batch', 1),
    };
    const heat = {
      percentile: values.percentile === undefined ? undefined : numberOption(values.percentile, 'percentile', 0),
      blur: values.blur === undefined ? undefined : numberOption(values.blur, 'blur', 0),
    };
    checkOutputs([
      { option: '--out', path: out, endings: ['.npy', ...PICTURE_ENDINGS] },
      attributionOut === undefined ? undefined : { option: '--attribution', path: attributionOut, endings: ['.npy', ...PICTURE_ENDINGS] },
      overlayOut === undefined ? undefined : { option: '--overlay', path: overlayOut, endings: PICTURE_ENDINGS },
    ], [modelPath, input]);
    const model = await loadModelFor(modelPath, values);
    const x = await readSingleInput(input, model, values);
    const size = givenSize ?? defaultOcclusionSize(model.inputShape);
    const stride = givenStride ?? defaultOcclusionStride(size);
    const progress = progressReporter('occlusion');
    const result = occlusion(model, x, { ...options, size, stride, onProgress: progress, ...runOptionsFor(input, values) });
    progress.finish();
    const [, h, w] = model.inputShape;
    writeOutputs((set) => {
      set.file(out, mapBytes(out, result.grid, heat));
      if (attributionOut !== undefined) set.file(attributionOut, mapBytes(attributionOut, result.attribution, heat));
      if (overlayOut !== undefined) {
        set.file(overlayOut, encodePicture(overlayOut, overlayCanvas(x, upsample(regularizeHeatmap(result.attribution.data, h, w, heat), h, w, h, w))));
      }
    });
    const what = result.targetClass === null ? `sum of ${values.layer} channel ${values.channel}` : `class ${result.targetClass}`;
    const wrote = [out, attributionOut, overlayOut].filter((p) => p !== undefined).join(', ');
    console.log(`target ${what}: ${result.baseline.toPrecision(4)} unoccluded; ${size}x${size} occluder, stride ${stride}; grid ${result.grid.shape.join('x')}; wrote ${wrote}`);
    if (result.incremental !== null) console.log(result.incremental);
  },
};

function mapBytes(path: string, map: Tensor, heat: { percentile?: number; blur?: number }): Uint8Array {
  return tensorOrPicture(path, map, () => {
    const [h, w] = map.shape;
    const s = readableScale(h, w);
    const canvas = new Canvas(w * s, h * s);
    canvas.drawMap(regularizeHeatmap(map.data, h, w, heat), h, w, 0, 0, 'viridis', s);
    return canvas;
  });
}
