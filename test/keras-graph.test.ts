import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKerasH5, KerasH5Error } from '../src/io/keras-h5.ts';
import { findCycle } from '../src/io/keras-graph.ts';
import { ConvscopeError } from '../src/errors.ts';
import { root } from './helpers/cli.ts';
import { editConfig } from './helpers/h5-edit.ts';
import { refused } from './helpers/model-errors.ts';

// A functional config's graph is checked before it is walked. The damaged files are made from
// functional_chain_model.h5: input_1 -> zero_padding2d_1 -> conv2d_1 -> global_average_pooling2d_1 -> dense_1.
const CHAIN = join(root, 'test', 'fixtures', 'models', 'functional_chain_model.h5');
const inbound = (name: string) => [[[name, 0, 0, {}]]];

async function graphError(mutate: (inner: any, byName: (n: string) => any) => void, code: 'E_FORMAT' | 'E_UNSUPPORTED' = 'E_FORMAT'): Promise<string> {
  const bytes = await editConfig(CHAIN, (c) => mutate(c.config, (n: string) => c.config.layers.find((l: any) => l.name === n)));
  let thrown: unknown;
  const message = await refused(async () => {
    try {
      await readKerasH5(bytes, 'chain.h5');
    } catch (err) {
      thrown = err;
      throw err;
    }
  }, code);
  assert.instance(thrown, KerasH5Error);
  return message;
}

test('a cycle through the input layer (was: Fatal JavaScript invalid size error, exit 133)', async () => {
  const message = await graphError((inner, layer) => {
    inner.input_layers = [['zero_padding2d_1', 0, 0]];
    layer('zero_padding2d_1').inbound_nodes = inbound('conv2d_1');
    layer('global_average_pooling2d_1').inbound_nodes = inbound('input_1');
  });
  assert.is(message, "chain.h5: model_config: its layers form a cycle (zero_padding2d_1 -> conv2d_1 -> zero_padding2d_1); a model's layers must lead from its inputs to its outputs");
});

test('a layer that takes its own output', async () => {
  assert.match(await graphError((_, layer) => (layer('dense_1').inbound_nodes = inbound('dense_1'))), 'its layers form a cycle (dense_1 -> dense_1)');
});

test('an inbound layer that is not defined', async () => {
  assert.is(
    await graphError((_, layer) => (layer('conv2d_1').inbound_nodes = inbound('ghost'))),
    "chain.h5: layer 'conv2d_1' takes its input from 'ghost', which model_config does not define (its layers: input_1, zero_padding2d_1, conv2d_1, global_average_pooling2d_1, dense_1)",
  );
});

test('input_layers or output_layers naming a layer that is not defined', async () => {
  assert.match(await graphError((inner) => (inner.input_layers = [['nothing', 0, 0]])), "chain.h5: model_config: input_layers names 'nothing', which model_config does not define");
  assert.match(await graphError((inner) => (inner.output_layers = [['nothing', 0, 0]])), "chain.h5: model_config: output_layers names 'nothing', which model_config does not define");
});

test('input_layers that are not a list of names', async () => {
  for (const bad of [42, [[]], [[7, 0, 0]], null]) {
    assert.is(await graphError((inner) => (inner.input_layers = bad)), 'chain.h5: model_config: input_layers is not a list of [layer name, node, tensor] entries');
  }
});

test('inbound_nodes in an unknown form', async () => {
  assert.is(await graphError((_, layer) => (layer('dense_1').inbound_nodes = 'conv2d_1')), "chain.h5: layer 'dense_1': inbound_nodes is not a list");
  assert.is(
    await graphError((_, layer) => (layer('dense_1').inbound_nodes = [[[3, 0, 0, {}]]])),
    "chain.h5: layer 'dense_1': inbound_nodes is not a list of [layer name, node, tensor, kwargs] entries",
  );
});

test("inbound_nodes in Keras 3's form: the config is read as Keras 3 writes it", async () => {
  const keras3 = [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: ['global_average_pooling2d_1', 0, 0] } }], kwargs: {} }];
  const file = await readKerasH5(await editConfig(CHAIN, (c) => (c.config.layers.find((l: any) => l.name === 'dense_1').inbound_nodes = keras3)), 'chain.h5');
  assert.is(file.format, 'keras3-h5');
  assert.equal(file.layers.find((l) => l.name === 'dense_1')!.calls, [[{ layer: 'global_average_pooling2d_1', node: 0, tensor: 0 }]]);
  const keywordTensor = [{ args: [], kwargs: { inputs: keras3[0].args[0] } }];
  assert.match(await graphError((_, layer) => (layer('dense_1').inbound_nodes = keywordTensor), 'E_UNSUPPORTED'), "chain.h5: layer 'dense_1' takes a tensor as a keyword argument (inputs)");
});

test('two layers with the same name', async () => {
  assert.is(
    await graphError((inner) => (inner.layers[3].name = 'conv2d_1')),
    "chain.h5: model_config: layers #2 and #3 are both named 'conv2d_1'; layer names must be unique",
  );
});

test('a layer name that would break the message onto two lines', async () => {
  assert.is(
    await graphError((inner) => (inner.layers[2].name = 'conv\n2d')),
    'chain.h5: model_config: layer #2 has the name "conv\\n2d" and class "Conv2D"; expected non-empty names without control characters',
  );
});

test('a branching graph is read with its calls', async () => {
  const file = await readKerasH5(readFileSync(join(root, 'test', 'fixtures', 'models', 'branching_model.h5')));
  const add = file.layers.find((l) => l.name === 'add')!;
  assert.equal(add.calls, [[{ layer: 'conv_b', node: 0, tensor: 0 }, { layer: 'conv_a', node: 0, tensor: 0 }]]);
});

test('KerasH5Error is a ConvscopeError', () => {
  assert.instance(new KerasH5Error('E_FORMAT', 'x'), ConvscopeError);
});

test('findCycle: in data-flow order, null for a DAG, no stack overflow on 100,000 layers', () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
  assert.equal(findCycle(graph({ a: [], b: ['a', 'd'], c: ['b'], d: ['c'] })), ['b', 'c', 'd', 'b']);
  assert.is(findCycle(graph({ a: [], b: ['a'], c: ['a', 'b'], d: ['c', 'b'] })), null);
  const long = new Map<string, string[]>(Array.from({ length: 100_000 }, (_, i) => [`l${i}`, i ? [`l${i - 1}`] : []]));
  assert.is(findCycle(long), null);
  long.set('l0', ['l99999']);
  assert.is(findCycle(long)?.length, 100_001);
});

test.run();
