import type { Command } from '../command.ts';
import { parse, outputPath, modelAndInput, intOption } from '../args.ts';
import { UsageError } from '../errors.ts';
import { inputOptionSpecs } from '../input-options.ts';
import { readSingleInput } from '../single-input.ts';
import { loadModel } from '../../model/load.ts';
import { writePng } from '../../io/png-output.ts';
import { defaultModelPath } from '../../package-root.ts';
import { parseBackwardMethod, BACKWARD_METHODS } from '../../methods/backward-net.ts';
import { topChannels } from '../../methods/top-channels.ts';
import { topChannelsCanvas } from '../../methods/top-channels-render.ts';

const usage = `Usage: convscope top [MODEL] INPUT --layer L [--k 9] [--method ${BACKWARD_METHODS.join('|')}] [--unit max|all] --out FILE.png

The k channels of layer L with the largest activation for INPUT (ranked by their maximum),
each with its feature map and the backward-net projection of its strongest activation side
by side, as in Zeiler & Fergus's figures (--unit all: of the whole channel instead).
Default method: deconvnet.`;

export const top: Command = {
  name: 'top',
  summary: "a layer's strongest channels: feature map and reconstruction side by side",
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { layer: { type: 'string' }, k: { type: 'string' }, method: { type: 'string' }, unit: { type: 'string' }, out: { type: 'string' }, ...inputOptionSpecs }, usage);
    const { model: modelPath, input } = modelAndInput(positionals, usage, defaultModelPath());
    if (!values.layer) throw new UsageError(`--layer is required\n${usage}`);
    if (!values.out) throw new UsageError(`--out is required\n${usage}`);
    const out = outputPath(values.out, ['.png']);
    const method = parseBackwardMethod(values.method ?? 'deconvnet');
    const k = intOption(values.k, 'k', 9);
    const unit = values.unit ?? 'max';
    if (unit !== 'all' && unit !== 'max') throw new UsageError(`--unit must be max or all, not '${unit}'`);
    const model = loadModel(modelPath);
    model.layer(values.layer);
    const x = await readSingleInput(input, model, values);
    const channels = topChannels(model, x, { layer: values.layer, k, methods: [method], unit });
    writePng(out, topChannelsCanvas(channels, [method]));
    console.log(`wrote ${out} (channels ${channels.map((c) => c.channel).join(', ')})`);
  },
};
