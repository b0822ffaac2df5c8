import type { Command } from '../command.ts';
import { parse } from '../args.ts';
import { UsageError } from '../errors.ts';
import { loadModel } from '../../node/load-model.ts';
import { defaultModelPath } from '../../package-root.ts';
import { formatTable } from '../table.ts';

const usage = `Usage: convscope info [MODEL]

Prints the model's graph, node by node in the order they run: name, type, the nodes it takes
its inputs from ('input': the model's input), output shape, parameters, activation; then its
input shape, outputs, data format and parameter count (a shared layer's weights counted once).
MODEL is a Keras .h5 or .keras file, a TensorFlow.js model.json (its weight files beside it)
or a converted model folder; default: the shipped MNIST CNN. Shapes are channels-first (C, H, W).`;

export const info: Command = {
  name: 'info',
  summary: 'the layers of a model, their shapes and parameters',
  usage,
  async run(args) {
    const { positionals } = parse(args, {}, usage);
    if (positionals.length > 1) throw new UsageError(`expected at most one MODEL but got ${positionals.length} arguments\n${usage}`);
    const path = positionals[0] ?? defaultModelPath();
    const model = await loadModel(path);
    const inputs = (i: number) => model.sources[i].map((j) => (j < 0 ? 'input' : model.layers[j].name)).join(', ');
    const rows = model.layers.map((l, i) => [l.name, l.type, inputs(i), `(${l.outputShape.join(', ')})`, l.paramCount.toLocaleString('en-US'), l.activation]);
    console.log(`model:        ${model.name || '(unnamed)'} (${path})`);
    console.log(`input shape:  (${model.inputShape.join(', ')}) channels-first`);
    console.log(`outputs:      ${model.outputNames.join(', ')}${model.outputNames.length > 1 ? ` (methods use ${model.output}; choose another with --output)` : ''}`);
    console.log(`data format:  ${model.spec.dataFormat} (as saved by Keras; the engine runs channels-first)`);
    console.log('');
    console.log(formatTable(['layer', 'type', 'inputs', 'output shape', 'parameters', 'activation'], rows, [false, false, false, false, true, false]));
    console.log('');
    console.log(`total parameters: ${model.paramCount.toLocaleString('en-US')}`);
  },
};
