import type { Command } from '../command.ts';
import { startLayerCommand } from '../layer-command.ts';
import { parse, intOption } from '../args.ts';
import { UsageError } from '../errors.ts';
import { inputOptionSpecs, inputOptionsHelp } from '../input-options.ts';
import { tensorOrPicture } from '../encode.ts';
import { PICTURE_ENDINGS } from '../../io/png-output.ts';
import { writeOutputs } from '../../node/output-set.ts';
import { backwardNet, parseBackwardMethod, BACKWARD_METHODS } from '../../methods/backward-net.ts';
import { signedCanvas } from '../../methods/render.ts';

const usage = `Usage: convscope deconv [MODEL] INPUT --layer L [--channel C] [--unit all|max]
                      [--method ${BACKWARD_METHODS.join('|')}] --out FILE.npy|FILE.png|FILE.jpg [--abs]

Projects layer L's activation back to the input through a backward net: deconvnet (Zeiler &
Fergus), salinet (the gradient, Simonyan et al.), desalinet (Mahendran & Vedaldi; = guided
backprop, also accepted as 'guided'). --channel picks a channel (a unit for Dense layers);
without it the whole layer starts the walk, except from the model's last layer, where the
predicted class does (a class saliency map). --unit all (default) starts from the whole
channel, max from its strongest activation only. .npy: the raw (C,H,W) result; .png: the
result normalised symmetrically around 0 (blue-white-red), or its absolute value with --abs.
${inputOptionsHelp}`;

export const deconv: Command = {
  name: 'deconv',
  summary: 'project an activation back to pixels (DeconvNet, SaliNet, DeSaliNet/guided)',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, {
      layer: { type: 'string' }, channel: { type: 'string' }, unit: { type: 'string' }, method: { type: 'string' },
      out: { type: 'string' }, abs: { type: 'boolean' }, ...inputOptionSpecs,
    }, usage);
    const unit = values.unit ?? 'all';
    if (unit !== 'all' && unit !== 'max') throw new UsageError(`--unit must be all or max, not '${unit}'`);
    const method = parseBackwardMethod(values.method ?? 'deconvnet');
    const channel = values.channel === undefined ? undefined : intOption(values.channel, 'channel', 0, 0);
    const { model, x, layer, out, run } = await startLayerCommand(positionals, values, { usage, outputs: ['.npy', ...PICTURE_ENDINGS] });
    const r = backwardNet(model, x, { layer, channel, unit, method, ...run });
    writeOutputs((set) => set.file(out, tensorOrPicture(out, r, () => signedCanvas(r, values.abs ?? false))));
    console.log(`wrote ${out} (${method} from ${layer}${channel === undefined ? '' : ` channel ${channel}, unit ${unit}`})`);
  },
};
