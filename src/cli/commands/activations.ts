import type { Command } from '../command.ts';
import { startLayerCommand } from '../layer-command.ts';
import { parse } from '../args.ts';
import { inputOptionSpecs, inputOptionsHelp } from '../input-options.ts';
import { tensorOrPicture } from '../encode.ts';
import { featureMapGrid } from '../../methods/feature-maps.ts';
import { PICTURE_ENDINGS } from '../../io/png-output.ts';
import { writeOutputs } from '../../node/output-set.ts';

const usage = `Usage: convscope activations [MODEL] INPUT --layer NAME --out FILE.npy|FILE.png|FILE.jpg

Layer NAME's output (after its activation) for INPUT. .npy: the raw tensor, (C,H,W) or (K,)
for one input, with a leading N for a batch. .png: a grid of all its feature maps, one tile
per channel, each normalised on its own, viridis, with the channel number above it (for one
input; for a batch, the first).
${inputOptionsHelp}`;

export const activations: Command = {
  name: 'activations',
  summary: "a layer's output: .npy tensor or a .png grid of its feature maps",
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { layer: { type: 'string' }, out: { type: 'string' }, ...inputOptionSpecs }, usage);
    const { model, x, layer: name, out, run } = await startLayerCommand(positionals, values, { usage, outputs: ['.npy', ...PICTURE_ENDINGS], batch: true });
    const a = model.predict(x, name, run);
    const layer = model.layer(name);
    const first = () => (a.rank > layer.outputShape.length ? a.data.subarray(0, a.size / a.shape[0]) : a.data);
    writeOutputs((set) => set.file(out, tensorOrPicture(out, a, () => featureMapGrid(first(), layer.outputShape))));
    console.log(`wrote ${out} (${a.shape.join('x')})`);
  },
};
