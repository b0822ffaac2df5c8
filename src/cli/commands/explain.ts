import { basename, join } from 'node:path';
import type { Command } from '../command.ts';
import { parse } from '../args.ts';
import { UsageError } from '../errors.ts';
import { inputOptionSpecs } from '../input-options.ts';
import { readSingleInput } from '../single-input.ts';
import { loadModel } from '../../node/load-model.ts';
import { defaultModelPath, packageRoot } from '../../package-root.ts';
import { buildReport } from '../../methods/report.ts';
import { writeReport } from '../../node/report-files.ts';

const usage = `Usage: convscope explain [MODEL] [IMAGE] [--out DIR] [--k 6]

Writes DIR/index.html (default DIR: convscope-report) and its pictures: the input and the
prediction; every layer's feature maps; every conv layer's top k channels with their
DeconvNet, SaliNet and DeSaliNet reconstructions; occlusion and Grad-CAM for the predicted
class. A static page: open it in a browser. With no MODEL and IMAGE it uses the shipped MNIST
CNN and a shipped digit. With one argument, it is the IMAGE (or .npy) for the shipped model.
Image options: --scale X, --mean a,b,c --std a,b,c (see predict).`;

export const explain: Command = {
  name: 'explain',
  summary: 'one HTML report with everything convscope shows for an input',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { out: { type: 'string' }, k: { type: 'string' }, ...inputOptionSpecs }, usage);
    if (positionals.length > 2) throw new UsageError(`expected [MODEL] [IMAGE] but got ${positionals.length} arguments\n${usage}`);
    const modelPath = positionals.length === 2 ? positionals[0] : defaultModelPath();
    const inputPath = positionals.length >= 1 ? positionals[positionals.length - 1] : join(packageRoot(), 'examples', 'digit-7.png');
    const dir = values.out ?? 'convscope-report';
    const k = values.k === undefined ? 6 : Number(values.k);
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a positive integer, not '${values.k}'`);
    const model = await loadModel(modelPath);
    const x = await readSingleInput(inputPath, model, values);
    const report = buildReport(model, x, { inputName: basename(inputPath), modelName: positionals.length === 2 ? basename(modelPath) : 'the shipped MNIST CNN', topK: k });
    writeReport(report, dir);
    console.log(`wrote ${join(dir, 'index.html')} (${report.sections.reduce((n, s) => n + s.figures.length, 0)} pictures); predicted class ${report.prediction[0].cls}`);
  },
};
