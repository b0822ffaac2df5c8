import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from '../command.ts';
import { parse, intOption } from '../args.ts';
import { UsageError } from '../errors.ts';
import { checkOutputs } from '../outputs.ts';
import { inputOptionSpecs, inputOptionsHelp, loadModelFor } from '../input-options.ts';
import { readSingleInput } from '../single-input.ts';
import { defaultModelPath, packageRoot } from '../../package-root.ts';
import { buildReport } from '../../methods/report.ts';
import { writeReport, REPORT_MARKER } from '../../node/report-files.ts';

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

/** With one positional: a model file or folder is the MODEL, anything else the IMAGE. */
export function looksLikeModel(path: string): boolean {
  if (/\.(h5|hdf5|keras|json)$/i.test(path)) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export const explain: Command = {
  name: 'explain',
  summary: 'one HTML report with everything convscope shows for an input',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { out: { type: 'string' }, k: { type: 'string' }, ...inputOptionSpecs }, usage);
    if (positionals.length > 2) throw new UsageError(`expected [MODEL] [IMAGE] but got ${positionals.length} arguments\n${usage}`);
    const [first, second] = positionals;
    const modelGiven = second !== undefined || (first !== undefined && looksLikeModel(first));
    const modelPath = modelGiven ? first : defaultModelPath();
    const inputPath = second ?? (first !== undefined && !modelGiven ? first : join(packageRoot(), 'examples', 'digit-7.png'));
    const dir = values.out ?? 'convscope-report';
    const k = intOption(values.k, 'k', 6);
    checkOutputs([{ option: '--out', path: dir, folderMarker: REPORT_MARKER }], [modelPath, inputPath]);
    const model = await loadModelFor(modelPath, values);
    const x = await readSingleInput(inputPath, model, values);
    const report = buildReport(model, x, { inputName: basename(inputPath), modelName: modelGiven ? basename(modelPath) : 'the shipped MNIST CNN', topK: k, allowNonFinite: values['allow-nonfinite'] === true });
    writeReport(report, dir);
    console.log(`wrote ${join(dir, 'index.html')} (${report.sections.reduce((n, s) => n + s.figures.length, 0)} pictures); predicted class ${report.prediction[0].cls}`);
  },
};
