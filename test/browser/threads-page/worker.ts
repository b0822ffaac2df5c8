// The threads test's module worker (test/browser/threads.test.ts): a small VGG-like forward (two
// conv blocks and a Dense layer, sizes that take the two-thread path) on the default one-thread
// kernel set, then on its two-thread set after prepareKernels; posts both outputs' bits.
import {
  Tensor, conv2d, relu, maxPool2d, matmul, defaultKernelSetName, threadedKernelSetName, prepareKernels, withKernels, kernels,
  type KernelSetName,
} from '../../../src/index.ts';

/** xorshift32 values in [-limit, limit). */
function seeded(count: number, limit: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 * 2 - 1) * limit;
  }
  return out;
}

const SAME = { padding: { top: 1, bottom: 1, left: 1, right: 1 } };
const CHANNELS = [3, 32, 32, 64, 64];
const SIZE = 64;
const UNITS = 256;

const image = new Tensor([1, 3, SIZE, SIZE], seeded(3 * SIZE * SIZE, 1, 7));
const filters = CHANNELS.slice(1).map((cout, i) => {
  const cin = CHANNELS[i];
  return { w: new Tensor([cout, cin, 3, 3], seeded(cout * cin * 9, Math.sqrt(6 / (cin * 9)), 11 + i)), b: new Tensor([cout], seeded(cout, 0.01, 23 + i)) };
});
const flat = CHANNELS[4] * (SIZE / 4) * (SIZE / 4);
const dense = new Tensor([flat, UNITS], seeded(flat * UNITS, Math.sqrt(6 / flat), 31));

/** The last conv's feature maps and the Dense output, as bits. */
function forward(): { features: number[]; scores: number[] } {
  let x = image;
  filters.forEach(({ w, b }, i) => {
    x = relu(conv2d(x, w, b, SAME));
    if (i % 2 === 1 && i < filters.length - 1) x = maxPool2d(x, { kernel: [2, 2] }).y;
  });
  const features = x;
  const scores = matmul(maxPool2d(x, { kernel: [2, 2] }).y.reshape([1, flat]), dense);
  const bits = (t: Tensor) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
  return { features: bits(features), scores: bits(scores) };
}

async function run() {
  const one = defaultKernelSetName();
  const oneThread = withKernels(one, forward);
  const threads = threadedKernelSetName();
  const asked = threads ?? (`${one}-2t` as KernelSetName);
  try {
    await prepareKernels(asked);
    const [twoThreads, ran] = withKernels(asked, () => [forward(), kernels().name] as const);
    return { isolated: crossOriginIsolated, one, threads, ran, oneThread, twoThreads, error: null };
  } catch (e) {
    return { isolated: crossOriginIsolated, one, threads, ran: null, oneThread, twoThreads: null, error: (e as Error).message };
  }
}

self.onmessage = async () => self.postMessage(await run());
