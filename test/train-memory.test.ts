// Training does not accumulate memory: after the first epochs have sized everything (wasm
// arena, optimiser state), later epochs leave the heap, the array buffers, the wasm memory
// and the process's resident set where they were. No timing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Tensor } from '../src/tensor.ts';
import { sequential } from '../src/train/sequential.ts';
import { train } from '../src/train/train.ts';
import { wasmMemoryBytes } from '../src/runtime/wasm-kernels.ts';
import { defaultKernelSetName } from '../src/runtime/backend.ts';
import { randomTensor, seededRandom } from './helpers/random.ts';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

interface Usage {
  js: number;
  rss: number;
  wasm: number;
}

/** Memory after a full collection; the pause lets V8 free array buffers' backing stores in the background (onEpoch cannot await). */
function usage(): Usage {
  collect();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
  collect();
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.arrayBuffers, rss: m.rss, wasm: wasmMemoryBytes(defaultKernelSetName() as 'relaxed' | 'simd' | 'scalar') };
}

const MiB = 1024 * 1024;

test('memory after epoch 6 of a small conv net is what it was after epoch 2', () => {
  const model = sequential([
    { type: 'Conv2D', filters: 8, kernel_size: 3, activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'MaxPooling2D' },
    { type: 'Dropout', rate: 0.25 },
    { type: 'Flatten' },
    { type: 'Dense', units: 16, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ], { inputShape: [16, 16, 1], seed: 3 });
  const rng = seededRandom(7);
  // 240 samples: 192 to fit (12 batches of 16), 48 held out; a step's forward record is about 0.4 MiB
  const x: Tensor = randomTensor(rng, [240, 1, 16, 16]);
  const y = Int32Array.from({ length: 240 }, () => Math.floor(rng() * 10));
  const at = new Map<number, Usage>();
  train(model, { x, y }, { epochs: 6, batchSize: 16, optimizer: 'adam' }, (e) => {
    if (e.epoch === 2 || e.epoch === 6) at.set(e.epoch, usage());
  });
  const [before, after] = [at.get(2)!, at.get(6)!];
  const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
  assert.is(after.wasm, before.wasm, `wasm memory grew from ${mib(before.wasm)} to ${mib(after.wasm)}`);
  assert.ok(after.js - before.js < 4 * MiB, `heap + array buffers grew by ${mib(after.js - before.js)} over 4 epochs (48 steps)`);
  // the resident set also holds code V8 compiles as it goes (hot wasm tiered up): 10-30 MiB more
  // after epoch 6 than after epoch 2 in a healthy run, flat after that
  assert.ok(after.rss - before.rss < 64 * MiB, `the resident set grew by ${mib(after.rss - before.rss)} over 4 epochs (48 steps)`);
});

test.run();
