import type { Command } from '../command.ts';
import { parse, intOption, numberOption, numberList } from '../args.ts';
import { UsageError } from '../errors.ts';
import { checkOutputs } from '../outputs.ts';
import { progressReporter } from '../progress.ts';
import { tensorOrPicture } from '../encode.ts';
import { loadModel } from '../../node/load-model.ts';
import { PICTURE_ENDINGS } from '../../io/png-output.ts';
import { writeOutputs } from '../../node/output-set.ts';
import { defaultModelPath } from '../../package-root.ts';
import { maximize } from '../../methods/maximize.ts';
import { inputCanvas } from '../../methods/render.ts';

const usage = `Usage: convscope maximize [MODEL] --layer L --channel C [--iterations N] [--lr X] [--l2 X]
                        [--blur-every N] [--blur-sigma X] [--jitter PX] [--seed S] [--range LO,HI]
                        --out FILE.npy|FILE.png|FILE.jpg

Activation maximisation: gradient ascent on the input, from seeded noise, towards the mean
activation of layer L's channel C (a unit for Dense; the logit for a softmax layer), with L2
decay, a Gaussian blur every N steps and random jitter; the input stays inside --range (the
model's valid input range, default 0,255 as for the shipped MNIST model). Same seed, same
picture. Defaults: 400 iterations, lr 0.16 of the range, l2 0.0002, blur every 25 steps with
sigma 0.5, jitter 1 pixel, seed 0. On a terminal, the steps done show on stderr.`;

export const maximizeCommand: Command = {
  name: 'maximize',
  summary: 'activation maximisation: the input a channel likes best',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, {
      layer: { type: 'string' }, channel: { type: 'string' }, iterations: { type: 'string' }, lr: { type: 'string' },
      l2: { type: 'string' }, 'blur-every': { type: 'string' }, 'blur-sigma': { type: 'string' }, jitter: { type: 'string' },
      seed: { type: 'string' }, range: { type: 'string' }, out: { type: 'string' },
    }, usage);
    if (positionals.length > 1) throw new UsageError(`expected at most one MODEL but got ${positionals.length} arguments\n${usage}`);
    if (values.layer === undefined || values.channel === undefined) throw new UsageError(`--layer and --channel are required\n${usage}`);
    if (values.out === undefined) throw new UsageError(`--out is required\n${usage}`);
    const out = values.out;
    const channel = intOption(values.channel, 'channel', 0, 0);
    const range = numberList(values.range, 'range');
    if (range && range.length !== 2) throw new UsageError('--range takes two numbers: LO,HI');
    const modelPath = positionals[0] ?? defaultModelPath();
    const options = {
      layer: values.layer,
      channel,
      iterations: values.iterations === undefined ? undefined : intOption(values.iterations, 'iterations', 1),
      lr: values.lr === undefined ? undefined : numberOption(values.lr, 'lr', 0),
      l2: values.l2 === undefined ? undefined : numberOption(values.l2, 'l2', 0),
      blurEvery: values['blur-every'] === undefined ? undefined : intOption(values['blur-every'], 'blur-every', 0, 0),
      blurSigma: values['blur-sigma'] === undefined ? undefined : numberOption(values['blur-sigma'], 'blur-sigma', 0),
      jitter: values.jitter === undefined ? undefined : intOption(values.jitter, 'jitter', 0, 0),
      seed: values.seed === undefined ? undefined : intOption(values.seed, 'seed', 0, 0),
      range: range as [number, number] | undefined,
    };
    checkOutputs([{ option: '--out', path: out, endings: ['.npy', ...PICTURE_ENDINGS] }], [modelPath]);
    const model = await loadModel(modelPath);
    const progress = progressReporter('maximize');
    const result = maximize(model, { ...options, onProgress: progress });
    progress.finish();
    writeOutputs((set) => set.file(out, tensorOrPicture(out, result.image, () => inputCanvas(result.image))));
    console.log(`wrote ${out} (mean activation of ${values.layer} channel ${values.channel}: ${result.objective.toPrecision(4)})`);
  },
};
