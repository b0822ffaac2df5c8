import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { BufferPool, withBufferPool } from '../src/buffer-pool.ts';
import { PassGrowth } from '../src/runtime/arena.ts';
import { passArena, withKernels } from '../src/runtime/backend.ts';
import { wasmKernels } from '../src/runtime/wasm-kernels.ts';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import { matmul } from '../src/ops/matmul.ts';
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

test('in wasm memory: a pass\'s tensors are views the kernels use in place, and a pass that outgrows its reservation runs again in JS memory', () => {
  withKernels('simd', () => {
    const arena = passArena()!;
    assert.ok(arena !== null);
    const pool = new BufferPool();
    const rng = seededRandom(1);
    const small = [randomTensor(rng, [8, 8]), randomTensor(rng, [8, 8])];
    const want = matmul(small[0], small[1]).data;
    let inWasm = false;
    const square = () => {
      const y = matmul(small[0], small[1]);
      // a view of the kernels' memory: its buffer is the whole wasm memory
      inWasm = y.data.buffer.byteLength === wasmKernels('simd').arena.bytes;
      return Float32Array.from(y.data);
    };
    withBufferPool(pool, square, arena); // the first pass measures
    assert.is(inWasm, false);
    const got = withBufferPool(pool, square, arena);
    assert.is(inWasm, true, 'the second pass\'s result lies in wasm memory');
    assert.equal([...got], [...want]);
    // a kernel call that needs more room than the memory has, inside the small reservation
    const side = Math.ceil(Math.sqrt(wasmKernels('simd').arena.bytes / 4)) + 1;
    const big = [randomTensor(rng, [side, side]), randomTensor(rng, [side, side])];
    let runs = 0;
    const grown = withBufferPool(pool, () => {
      runs++;
      return Float32Array.from(matmul(big[0], big[1]).data);
    }, arena);
    assert.is(runs, 2, 'the pass outgrew its reservation and ran again in JS memory');
    const bigWant = matmul(big[0], big[1]).data;
    assert.ok(grown.every((v, i) => Object.is(v, bigWant[i])));
  });
});

test('the arena refuses to grow during a pass, and grows again after it', () => {
  const arena = wasmKernels('simd').arena;
  arena.beginPass(64);
  assert.throws(() => arena.scope(() => arena.alloc(arena.bytes * 2)), (e: unknown) => e instanceof PassGrowth);
  arena.endPass();
  arena.scope(() => arena.alloc(arena.bytes + 1));
});

test('predict\'s result stays put after the next predict (it is copied out of the pass)', async () => {
  const model = await loadModel(join(root, 'test', 'fixtures', 'models', 'graphs', 'resnet_tiny.h5'));
  const rng = seededRandom(8);
  const x = randomTensor(rng, model.inputShape);
  model.predict(x);
  const first = model.predict(x);
  const kept = Float32Array.from(first.data);
  model.predict(randomTensor(rng, model.inputShape));
  assert.ok(first.data.every((v, i) => Object.is(v, kept[i])));
});

test('on two threads, predict in the shared memory = a pass on fresh buffers on one thread', async () => {
  if (!KERNEL_SET_NAMES.includes('simd-2t')) return;
  const model = await loadModel(join(root, 'test', 'fixtures', 'models', 'graphs', 'resnet_tiny.h5'));
  const x = randomTensor(seededRandom(12), [3, ...model.inputShape]);
  const want = withKernels('simd', () => model.run(x, model.outputIndex, true).output.data);
  for (let i = 0; i < 3; i++) {
    const got = withKernels('simd-2t', () => model.predict(x)).data;
    assert.ok(got.every((v, j) => Object.is(v, want[j])), `call ${i + 1}`);
  }
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
