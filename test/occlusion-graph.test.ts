import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { occlusion, occlusionGrid, type OcclusionOptions } from '../src/methods/occlusion.ts';
import { planPositions, occlusionWork } from '../src/methods/occlusion-incremental.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import type { Model } from '../src/model/model.ts';
import { Tensor } from '../src/tensor.ts';
import { root } from './helpers/cli.ts';
import { seededRandom, randomTensor } from './helpers/random.ts';

// Incremental occlusion through graphs: patches go through Add, Concatenate, Multiply, depthwise,
// separable and strided convs. The maps must be the same bits as running every occluded image
// through the whole graph, one at a time ('naive') and in batches ('batched').
const graph = (name: string) => loadModel(join(root, 'test', 'fixtures', 'models', 'graphs', name));

function sameBits(what: string, a: Tensor, b: Tensor): void {
  let differ = 0;
  for (let i = 0; i < b.size; i++) if (!Object.is(a.data[i], b.data[i])) differ++;
  assert.is(differ, 0, `${what}: ${differ} of ${b.size} values differ`);
}

function compare(model: Model, x: Tensor, opts: OcclusionOptions): string {
  const naive = occlusion(model, x, { ...opts, strategy: 'naive' });
  const incremental = occlusion(model, x, opts);
  sameBits('incremental grid', incremental.grid, naive.grid);
  sameBits('incremental attribution', incremental.attribution, naive.attribution);
  sameBits('batched grid', occlusion(model, x, { ...opts, strategy: 'batched', batchSize: 5 }).grid, naive.grid);
  return incremental.incremental!;
}

/** The first node that takes more than one input, and the furthest node any window reaches as a patch. */
function reach(model: Model, size: number, stride: number): { firstMerge: number; furthest: number; macRatio: number } {
  const [, h, w] = model.inputShape;
  const { ny, nx } = occlusionGrid(h, w, size, stride);
  const plans = planPositions(model, h, w, size, stride, ny, nx, model.outputIndex);
  const work = occlusionWork(model, plans, model.outputIndex);
  return { firstMerge: model.sources.findIndex((s) => s.length > 1), furthest: Math.max(...plans.map((p) => p.from)), macRatio: work.full / work.incremental };
}

const cases: [string, string, OcclusionOptions[]][] = [
  ['resnet_tiny.h5', 'Add, strided 1x1 and 3x3 convs, ZeroPadding2D, max pool', [{ size: 3, stride: 2 }, { size: 1, stride: 1, target: 2 }, { size: 5, stride: 3, fill: 1 }, { size: 2, stride: 5 }]],
  ['resnet_tiny_channels_first.h5', 'the same, channels first', [{ size: 3, stride: 2 }]],
  ['mobilenet_v2_tiny.h5', 'depthwise stride 1 and 2, ReLU6, Add', [{ size: 3, stride: 2 }, { size: 4, stride: 1 }, { size: 1, stride: 3, fill: -1 }]],
  ['mobilenet_v3_tiny.h5', 'squeeze-excite: Multiply by a global pooling', [{ size: 3, stride: 2 }, { size: 2, stride: 1 }]],
  ['inception_tiny.h5', 'Concatenate of branches with different windows', [{ size: 3, stride: 2 }, { size: 1, stride: 1 }]],
  ['merges_separable.h5', 'Subtract, Multiply, Maximum, Average, Concatenate, SeparableConv2D', [{ size: 2, stride: 1 }, { size: 3, stride: 2 }]],
  ['unet_tiny.h5', 'UpSampling2D and Concatenate', [{ size: 3, stride: 2 }]],
  ['shared_layer.h5', 'one layer called twice', [{ size: 2, stride: 1 }]],
];
for (const [file, what, optionsList] of cases) {
  const model = await graph(file);
  const x = randomTensor(seededRandom(7), model.inputShape);
  for (const opts of optionsList) {
    test(`${file} (${what}): incremental = batched = naive, size ${opts.size} stride ${opts.stride}`, () => {
      compare(model, x, opts);
    });
  }
}

test('resnet_tiny and mobilenet_v2_tiny: patches go past the merges, with fewer MACs', async () => {
  for (const file of ['resnet_tiny.h5', 'mobilenet_v2_tiny.h5', 'inception_tiny.h5', 'merges_separable.h5']) {
    const r = reach(await graph(file), 3, 2);
    assert.ok(r.furthest > r.firstMerge, `${file}: furthest patch node ${r.furthest}, first merge ${r.firstMerge}`);
    assert.ok(r.macRatio > 2, `${file}: ${r.macRatio.toFixed(2)}x fewer MACs`);
  }
});

test('it says where the patches stop: a squeeze-excite block, global pooling, or a change that covers the map', async () => {
  const v3 = await graph('mobilenet_v3_tiny.h5');
  assert.match(compare(v3, randomTensor(seededRandom(2), v3.inputShape), { size: 3, stride: 2 }), /before 'expanded_conv\/squeeze_excite\/AvgPool' \(GlobalAveragePooling2D\), in full from there, in batches: it mixes all positions/);
  const v2 = await graph('mobilenet_v2_tiny.h5');
  assert.match(compare(v2, randomTensor(seededRandom(2), v2.inputShape), { size: 3, stride: 2 }), /\(GlobalAveragePooling2D\), in full from there, in batches: it mixes all positions/);
  const resnet = await graph('resnet_tiny.h5');
  assert.match(compare(resnet, randomTensor(seededRandom(2), resnet.inputShape), { size: 3, stride: 2 }), /\(Conv2D\), in full from there, in batches: the change covers its whole map/);
});

for (const set of KERNEL_SET_NAMES) {
  test(`incremental = naive through graphs on the ${set} kernels: resnet_tiny, mobilenet_v2_tiny`, async () => {
    for (const file of ['resnet_tiny.h5', 'mobilenet_v2_tiny.h5']) {
      const model = await graph(file);
      const x = randomTensor(seededRandom(9), model.inputShape);
      withKernels(set, () => compare(model, x, { size: 3, stride: 2 }));
    }
  });
}

test.run();
