import { basename, join } from 'node:path';
import type { Command } from '../command.ts';
import { parse, intOption } from '../args.ts';
import { modelAndImage } from '../model-or-image.ts';
import { checkOutputs } from '../outputs.ts';
import { inputOptionSpecs, inputOptionsHelp, loadModelFor } from '../input-options.ts';
import { readSingleInput } from '../single-input.ts';
import { defaultModelPath, packageRoot } from '../../package-root.ts';
import { buildReport } from '../../methods/report.ts';
import { progressReporter } from '../progress.ts';
import { writeReport, REPORT_MARKER } from '../../node/report-files.ts';
import { appInputs } from '../../node/app-files.ts';
import { appPreprocessing, type AppInputOptionValues } from '../app-inputs.ts';

/** The `convscope serve` line that opens the same model, input and preprocessing in the app, and the address it prints. */
function appLink(model: string | undefined, input: string, values: AppInputOptionValues): { command: string; url: string } {
  const preprocessing = appPreprocessing(values);
  const words = ['npx convscope serve', ...[model, input].filter((p): p is string => p !== undefined).map(shellWord), ...Object.entries(preprocessing).map(([name, value]) => `--${name} ${shellWord(value)}`)];
  return { command: words.join(' '), url: `http://127.0.0.1:8080/${appInputs(model, input, preprocessing).query}` };
}

function shellWord(word: string): string {
  return /^[\w./,:=+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const usage = `Usage: convscope explain [MODEL] [IMAGE] [--out DIR] [--k 6]

Writes DIR/index.html (default DIR: convscope-report) and its pictures: the input and the
prediction; every layer's feature maps; every conv layer's top k channels with their
DeconvNet, SaliNet and DeSaliNet reconstructions; occlusion and Grad-CAM for the predicted
class. A static page: open it in a browser. With no MODEL and IMAGE it uses the shipped MNIST
CNN and a shipped digit. With one argument, what it is decides: a model (a file ending in
.h5, .hdf5, .keras or .json, or a folder) is run on the shipped digit; anything else is the IMAGE
(or .npy) for the shipped model. DIR is written whole: it must be new, empty or an earlier
report (a folder with index.html), which is replaced.
${inputOptionsHelp}`;

export const explain: Command = {
  name: 'explain',
  summary: 'one HTML report with everything convscope shows for an input',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { out: { type: 'string' }, k: { type: 'string' }, ...inputOptionSpecs }, usage);
    const given = modelAndImage(positionals, usage);
    const modelPath = given.model ?? defaultModelPath();
    const inputPath = given.image ?? join(packageRoot(), 'examples', 'digit-7.png');
    const dir = values.out ?? 'convscope-report';
    const k = intOption(values.k, 'k', 6);
    checkOutputs([{ option: '--out', path: dir, folderMarker: REPORT_MARKER }], [modelPath, inputPath]);
    const model = await loadModelFor(modelPath, values);
    const x = await readSingleInput(inputPath, model, values);
    const progress = progressReporter('explain');
    const report = buildReport(model, x, {
      inputName: basename(inputPath), modelName: given.model !== undefined ? basename(modelPath) : 'the shipped MNIST CNN', topK: k,
      allowNonFinite: values['allow-nonfinite'] === true, onProgress: progress,
    });
    progress.finish();
    report.app = appLink(given.model, inputPath, values);
    writeReport(report, dir);
    console.log(`wrote ${join(dir, 'index.html')} (${report.sections.reduce((n, s) => n + s.figures.length, 0)} pictures); predicted class ${report.prediction[0].cls}`);
  },
};
