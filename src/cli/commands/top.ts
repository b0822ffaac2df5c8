import type { Command } from '../command.ts';
import { startLayerCommand } from '../layer-command.ts';
import { parse, intOption } from '../args.ts';
import { UsageError } from '../errors.ts';
import { inputOptionSpecs, inputOptionsHelp } from '../input-options.ts';
import { encodePicture, PICTURE_ENDINGS } from '../../io/png-output.ts';
import { writeOutputs } from '../../node/output-set.ts';
import { parseBackwardMethod, BACKWARD_METHODS } from '../../methods/backward-net.ts';
import { topChannels } from '../../methods/top-channels.ts';
import { progressReporter } from '../progress.ts';
import { topChannelsCanvas } from '../../methods/top-channels-render.ts';

const usage = `Usage: convscope top [MODEL] INPUT --layer L [--k 9] [--method ${BACKWARD_METHODS.join('|')}] [--unit max|all] --out FILE.png|FILE.jpg

The k channels of layer L with the largest activation for INPUT (ranked by their maximum),
each with its feature map and the backward-net projection of its strongest activation side
by side, as in Zeiler & Fergus's figures (--unit all: of the whole channel instead).
Default method: deconvnet.
${inputOptionsHelp}`;

export const top: Command = {
  name: 'top',
  summary: "a layer's strongest channels: feature map and reconstruction side by side",
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { layer: { type: 'string' }, k: { type: 'string' }, method: { type: 'string' }, unit: { type: 'string' }, out: { type: 'string' }, ...inputOptionSpecs }, usage);
    const method = parseBackwardMethod(values.method ?? 'deconvnet');
    const k = intOption(values.k, 'k', 9);
    const unit = values.unit ?? 'max';
    if (unit !== 'all' && unit !== 'max') throw new UsageError(`--unit must be max or all, not '${unit}'`);
    const { model, x, layer, out, run } = await startLayerCommand(positionals, values, { usage, outputs: PICTURE_ENDINGS });
    const progress = progressReporter('top');
    const channels = topChannels(model, x, { layer, k, methods: [method], unit, onProgress: progress, ...run });
    progress.finish();
    writeOutputs((set) => set.file(out, encodePicture(out, topChannelsCanvas(channels, [method]))));
    console.log(`wrote ${out} (channels ${channels.map((c) => c.channel).join(', ')})`);
  },
};
