import type { Command } from '../command.ts';
import { parse } from '../args.ts';
import { UsageError } from '../errors.ts';
import { loadModelSpec } from '../../node/load-model.ts';
import { Model } from '../../model/model.ts';
import { writeModelFolder } from '../../node/model-folder-files.ts';
import { packageVersion } from '../../package-root.ts';

const usage = `Usage: convscope convert MODEL.h5 DIR

Converts a Keras HDF5 model into convscope's folder format: DIR/model.json (layers, shapes,
channels-first, provenance) and DIR/weights.bin (little-endian float32). Every command that
takes a model takes either form.`;

export const convert: Command = {
  name: 'convert',
  summary: 'convert a Keras .h5 model into a model folder (model.json + weights.bin)',
  usage,
  async run(args) {
    const { positionals } = parse(args, {}, usage);
    if (positionals.length !== 2) throw new UsageError(`expected MODEL.h5 DIR but got ${positionals.length} arguments\n${usage}`);
    const [source, dir] = positionals;
    const spec = await loadModelSpec(source);
    new Model(spec); // refuse to write a model that cannot be built
    spec.provenance.convertedBy = `convscope ${packageVersion()}`;
    writeModelFolder(spec, dir);
    console.log(`wrote ${dir}/model.json and ${dir}/weights.bin (${spec.layers.length} layers)`);
  },
};
