import type { Command } from '../command.ts';
import { parse, outputPath, modelAndInput } from '../args.ts';
import { UsageError } from '../errors.ts';
import { inputOptionSpecs, readInputFor } from '../input-options.ts';
import { loadModel } from '../../model/load.ts';
import { writeNpy } from '../../io/npy.ts';
import { defaultModelPath } from '../../package-root.ts';
import { featureMapGrid } from '../../methods/feature-maps.ts';
import { writePng } from '../../io/png-output.ts';

const usage = `Usage: convscope activations [MODEL] INPUT --layer NAME --out FILE.npy|FILE.png

Layer NAME's output (after its activation) for INPUT. .npy: the raw tensor, (C,H,W) or (K,)
for one input, with a leading N for a batch. .png: a grid of all its feature maps, one tile
per channel, each normalised on its own, viridis, with the channel number above it (for one
input; for a batch, the first).
Image options: --scale X, --mean a,b,c --std a,b,c (see predict).`;

export const activations: Command = {
  name: 'activations',
  summary: "a layer's output: .npy tensor or a .png grid of its feature maps",
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { layer: { type: 'string' }, out: { type: 'string' }, ...inputOptionSpecs }, usage);
    const { model: modelPath, input } = modelAndInput(positionals, usage, defaultModelPath());
    if (!values.layer) throw new UsageError(`--layer is required\n${usage}`);
    if (!values.out) throw new UsageError(`--out is required\n${usage}`);
    const out = outputPath(values.out, ['.npy', '.png']);
    const model = loadModel(modelPath);
    model.layer(values.layer);
    const x = await readInputFor(input, model, values);
    const a = model.predict(x, values.layer);
    if (out.toLowerCase().endsWith('.npy')) {
      await writeNpy(out, a);
      console.log(`wrote ${out} (${a.shape.join('x')})`);
      return;
    }
    const layer = model.layer(values.layer);
    const first = a.rank > layer.outputShape.length ? a.data.subarray(0, a.size / a.shape[0]) : a.data;
    writePng(out, featureMapGrid(first, layer.outputShape, `${layer.name} (${layer.type})`));
    console.log(`wrote ${out}`);
  },
};
