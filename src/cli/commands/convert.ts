import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { parse } from '../args.ts';
import { UsageError } from '../errors.ts';
import { checkOutputs } from '../outputs.ts';
import { loadModelSpec } from '../../node/load-model.ts';
import { modelFolderFiles } from '../../io/model-folder.ts';
import { writeOutputs } from '../../node/output-set.ts';
import { checkReplaceableModelFolder } from '../../node/model-folder-files.ts';
import { packageVersion } from '../../package-root.ts';

const usage = `Usage: convscope convert MODEL DIR

Converts a model (Keras 2 or 3 .h5, Keras 3 .keras, TensorFlow.js model.json, or a model
folder) into convscope's folder format: DIR/model.json (the graph: nodes, their inputs,
params, channels-first, provenance) and DIR/weights.bin (little-endian float32). It loads
back to the same numbers; every command that takes a model takes any of these forms. DIR's
parent folder must exist; DIR is written whole and must be new, empty or an earlier convscope
model folder, which is replaced (a folder holding another model.json, a TensorFlow.js model's,
is kept).`;

export const convert: Command = {
  name: 'convert',
  summary: 'convert a model (.h5, .keras, tfjs model.json) into a model folder (model.json + weights.bin)',
  usage,
  async run(args) {
    const { positionals } = parse(args, {}, usage);
    if (positionals.length !== 2) throw new UsageError(`expected MODEL DIR but got ${positionals.length} arguments\n${usage}`);
    const [source, dir] = positionals;
    checkOutputs([{ option: 'DIR', path: dir, folderMarker: 'model.json' }], [source]);
    checkReplaceableModelFolder(dir);
    const spec = await loadModelSpec(source);
    spec.provenance.convertedBy = `convscope ${packageVersion()}`;
    const files = modelFolderFiles(spec, source);
    writeOutputs((set) => set.folder(dir, (staging) => {
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(staging, name), bytes);
    }));
    console.log(`wrote ${dir}/model.json and ${dir}/weights.bin (${spec.layers.length} ${spec.layers.length === 1 ? 'node' : 'nodes'})`);
  },
};
