import type { Command } from '../command.ts';
import { parse, intOption, modelAndInput } from '../args.ts';
import { checkOutputs } from '../outputs.ts';
import { inputOptionSpecs, inputOptionsHelp, readInputFor, runOptionsFor, loadModelFor } from '../input-options.ts';
import { toNpy } from '../../io/npy.ts';
import { writeOutputs } from '../../node/output-set.ts';
import { defaultModelPath } from '../../package-root.ts';

const usage = `Usage: convscope predict [MODEL] INPUT [--top K] [--out FILE.npy]

The model's last-layer output for INPUT (.npy (C,H,W) or (N,C,H,W), or a PNG/JPEG image).
With --out: the raw output as .npy, (K,) for one input or (N, K) for a batch. Without it:
the top K classes (default 5) with their values (probabilities for a softmax model).
${inputOptionsHelp}`;

export const predict: Command = {
  name: 'predict',
  summary: "the model's output for an input (.npy or image), top classes or .npy",
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { top: { type: 'string' }, out: { type: 'string' }, ...inputOptionSpecs }, usage);
    const { model: modelPath, input } = modelAndInput(positionals, usage, defaultModelPath());
    const out = values.out;
    const k = intOption(values.top, 'top', 5);
    checkOutputs([out === undefined ? undefined : { option: '--out', path: out, endings: ['.npy'] }], [modelPath, input]);
    const model = await loadModelFor(modelPath, values);
    const x = await readInputFor(input, model, values);
    const y = model.predict(x, undefined, runOptionsFor(input, values));
    if (out !== undefined) {
      writeOutputs((set) => set.file(out, toNpy(y.shape, y.data)));
      console.log(`wrote ${out} (${y.shape.join('x')})`);
      return;
    }
    const rows = y.rank === 1 ? [y.data] : Array.from({ length: y.shape[0] }, (_, i) => y.data.subarray(i * y.shape[1], (i + 1) * y.shape[1]));
    const shown = Math.min(rows.length, 20);
    for (let i = 0; i < shown; i++) {
      const ranked = Array.from(rows[i], (v, c) => ({ c, v })).sort((a, b) => b.v - a.v).slice(0, k);
      const prefix = rows.length > 1 ? `input ${i}: ` : '';
      console.log(prefix + ranked.map((r) => `class ${r.c} ${r.v.toFixed(4)}`).join(', '));
    }
    if (rows.length > shown) console.log(`... and ${rows.length - shown} more inputs (use --out FILE.npy for all)`);
  },
};
