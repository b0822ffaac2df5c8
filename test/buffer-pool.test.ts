import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { BufferPool, withBufferPool } from '../src/buffer-pool.ts';
import { loadModel } from '../src/node/load-model.ts';
import { Tensor } from '../src/tensor.ts';
import { root } from './helpers/cli.ts';
import { seededRandom, randomTensor } from './helpers/random.ts';

// Model.predict runs its passes on recycled buffers (src/buffer-pool.ts); its output must be the
// same bits as a pass on fresh buffers (model.run), call after call, at changing batch sizes.

test('a recycled buffer comes back zeroed, only inside the pass, and a throw releases it', () => {
  const pool = new BufferPool();
  const first = withBufferPool(pool, () => {
    const t = Tensor.zeros([4, 5]);
    t.data.fill(7);
    return t.data;
  });
  const again = withBufferPool(pool, () => Tensor.zeros([4, 5]).data);
  assert.is(again, first, 'the buffer is recycled');
  assert.equal([...again], new Array(20).fill(0));
  assert.is.not(Tensor.zeros([4, 5]).data, first, 'outside a pass, tensors get fresh buffers');
  assert.throws(() => withBufferPool(pool, () => {
    Tensor.zeros([4, 5]).data.fill(3);
    throw new Error('mid-pass');
  }), /mid-pass/);
  assert.equal([...withBufferPool(pool, () => Tensor.zeros([4, 5]).data)], new Array(20).fill(0));
});

test('the pool keeps only the last pass\'s buffers', () => {
  const pool = new BufferPool();
  const a = withBufferPool(pool, () => Tensor.zeros([8]).data);
  withBufferPool(pool, () => Tensor.zeros([9]).data);
  assert.is.not(withBufferPool(pool, () => Tensor.zeros([8]).data), a, 'a size the last pass did not use was dropped');
});

for (const file of ['graphs/resnet_tiny.h5', 'graphs/mobilenet_v2_tiny.h5', 'graphs/inception_tiny.h5', 'mnist_model.h5']) {
  test(`predict on recycled buffers = a pass on fresh ones, call after call: ${file}`, async () => {
    const model = await loadModel(join(root, 'test', 'fixtures', 'models', file));
    const rng = seededRandom(4);
    for (const n of [1, 3, 1, 5, 3]) {
      const x = randomTensor(rng, [n, ...model.inputShape]);
      const want = model.run(x, model.outputIndex, true).output.data;
      const got = model.predict(x, undefined, { chunk: 2 }).data;
      assert.ok(got.every((v, i) => Object.is(v, want[i])), `batch ${n}: predict differs from run`);
    }
  });
}

test.run();
