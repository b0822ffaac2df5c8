import type { Command } from '../command.ts';
import { startLayerCommand } from '../layer-command.ts';
import { parse, intOption } from '../args.ts';
import { inputOptionSpecs, inputOptionsHelp } from '../input-options.ts';
import { tensorOrPicture } from '../encode.ts';
import { PICTURE_ENDINGS } from '../../io/png-output.ts';
import { writeOutputs } from '../../node/output-set.ts';
import { gradCam, defaultGradCamLayer } from '../../methods/grad-cam.ts';
import { regularizeHeatmap, upsample } from '../../methods/heatmap.ts';
import { overlayCanvas } from '../../methods/render.ts';
import { Tensor } from '../../tensor.ts';

const usage = `Usage: convscope gradcam [MODEL] INPUT [--layer L] [--class K] [--upsample] [--out FILE.npy|FILE.png|FILE.jpg]

Grad-CAM (Selvaraju et al.) for class K (default: the predicted class) at layer L, which must
have a (C, H, W) output; default: the last such layer before the first layer without spatial
axes (the last conv or pooling layer before Flatten). .npy: the map at the layer's resolution,
or with --upsample brought bilinearly to the input's size; .png: the map upsampled bilinearly
to the input size, over the input image (default gradcam.png). convscope attribute has
Grad-CAM++, LayerCAM, Score-CAM and batches.
${inputOptionsHelp}`;

/** SEMANTICS.md "Grad-CAM": the last layer with a (C, H, W) output before the first layer without spatial axes. */
export const gradcamCommand: Command = {
  name: 'gradcam',
  summary: 'Grad-CAM: where a conv layer sees the class',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { layer: { type: 'string' }, class: { type: 'string' }, upsample: { type: 'boolean' }, out: { type: 'string' }, ...inputOptionSpecs }, usage);
    const target = values.class === undefined ? undefined : intOption(values.class, 'class', 0, 0);
    const { model, x, layer, out, run } = await startLayerCommand(positionals, values, {
      usage, outputs: ['.npy', ...PICTURE_ENDINGS], defaultLayer: defaultGradCamLayer, defaultOut: 'gradcam.png',
    });
    const result = gradCam(model, x, { layer, target, ...run });
    const [, h, w] = model.inputShape;
    const [ch, cw] = result.cam.shape;
    const numbers = values.upsample ? new Tensor([h, w], upsample(result.cam.data, ch, cw, h, w)) : result.cam;
    writeOutputs((set) => set.file(out, tensorOrPicture(out, numbers, () => overlayCanvas(x, regularizeHeatmap(upsample(result.cam.data, ch, cw, h, w), h, w)))));
    console.log(`wrote ${out} (class ${result.targetClass}, layer ${layer})`);
  },
};
