import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { occlusion } from '../src/methods/occlusion.ts';
import { Tensor } from '../src/tensor.ts';
import { root } from './helpers/cli.ts';

// On a graph, patches travel through the leading chain only; the rest runs in full. The map must
// be the same bits as running every occluded image through the whole graph.
test('occlusion on a branching graph: incremental, batched and naive give the same bits, and it says where the chain ends', async () => {
  const model = await loadModel(join(root, 'test', 'fixtures', 'models', 'branching_model.h5'));
  assert.is(model.chainPrefix(), 2); // input_1 -> conv_a, whose output goes to conv_b and add
  const x = Tensor.zeros(model.inputShape);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(i * 1.7);
  const runs = (['incremental', 'batched', 'naive'] as const).map((strategy) => occlusion(model, x, { size: 2, stride: 1, target: 0, strategy }));
  assert.equal(runs[1].grid.data, runs[0].grid.data);
  assert.equal(runs[2].grid.data, runs[0].grid.data);
  assert.match(runs[0].incremental!, "before 'conv_b' (Conv2D)");
  assert.is(runs[1].incremental, null);
});

test.run();
