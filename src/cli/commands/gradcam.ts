import type { Command } from '../command.ts';
import { startLayerCommand } from '../layer-command.ts';
import { parse, intOption } from '../args.ts';
import { inputOptionSpecs } from '../input-options.ts';
import { writeNpy } from '../../node/inputs.ts';
import { PICTURE_ENDINGS } from '../../io/png-output.ts';
import { writePicture } from '../../node/pictures.ts';
import { gradCam } from '../../methods/grad-cam.ts';
import { regularizeHeatmap, upsample } from '../../methods/heatmap.ts';
import { overlayCanvas } from '../../methods/render.ts';

const usage = `Usage: convscope gradcam [MODEL] INPUT --layer L [--class K] --out FILE.npy|FILE.png|FILE.jpg

Grad-CAM (Selvaraju et al.) for class K (default: the predicted class) at layer L, which must
have a (C, H, W) output. .npy: the map at the layer's resolution; .png: the map upsampled
bilinearly to the input size, over the input image.`;

export const gradcamCommand: Command = {
  name: 'gradcam',
  summary: 'Grad-CAM: where a conv layer sees the class',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { layer: { type: 'string' }, class: { type: 'string' }, out: { type: 'string' }, ...inputOptionSpecs }, usage);
    const { model, x, layer, out } = await startLayerCommand(positionals, values, usage, ['.npy', ...PICTURE_ENDINGS]);
    const result = gradCam(model, x, { layer, target: values.class === undefined ? undefined : intOption(values.class, 'class', 0, 0) });
    if (out.toLowerCase().endsWith('.npy')) {
      await writeNpy(out, result.cam);
    } else {
      const [, h, w] = model.inputShape;
      const [ch, cw] = result.cam.shape;
      writePicture(out, overlayCanvas(x, regularizeHeatmap(upsample(result.cam.data, ch, cw, h, w), h, w)));
    }
    console.log(`wrote ${out} (class ${result.targetClass}, layer ${layer})`);
  },
};
