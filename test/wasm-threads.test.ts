// The two-thread kernel sets (src/runtime/wasm-threads.ts) split big GEMMs and forward convs between
// this thread and a worker on one shared wasm memory. Their results must be bit-identical to the
// one-thread set of the same build's (simd-2t to simd; relaxed-2t to relaxed, where this runtime
// validates relaxed SIMD: Node 20 under --experimental-wasm-relaxed-simd), on shapes big enough to take the two-thread path: odd sizes, a
// transposed A, both bias axes, strides, dilations, no padding, a batch. (The small shapes of
// the golden and agreement tests run on one thread in this set.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KERNEL_SET_NAMES, type BiasAxis, type ConvGeometry, type KernelSetName, type ThreadedKernelSetName } from '../src/runtime/kernel-set.ts';
import { defaultKernelSetName, kernelSet, prepareKernels, threadedKernelSetName } from '../src/runtime/backend.ts';
import { wasmThreadsSupported } from '../src/runtime/wasm-threads.ts';
import { wasmRelaxedSimdSupported } from '../src/runtime/wasm-module.ts';
import { windowOutputLength } from '../src/tensor.ts';
import { seededRandom } from './helpers/random.ts';

const supported = wasmThreadsSupported();
const relaxed = wasmRelaxedSimdSupported();
/** Each two-thread set this runtime runs, with the one-thread set whose bits it must give. */
const PAIRS: [ThreadedKernelSetName, KernelSetName][] = [
  ...(supported ? [['simd-2t', 'simd'] as [ThreadedKernelSetName, KernelSetName]] : []),
  ...(supported && relaxed ? [['relaxed-2t', 'relaxed'] as [ThreadedKernelSetName, KernelSetName]] : []),
];
const rng = seededRandom(20251122);
const random = (n: number): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng() * 2 - 1;
  return a;
};

function assertIdentical(what: string, got: Float32Array, want: Float32Array): void {
  assert.is(got.length, want.length, `${what}: length`);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < w.length; i++) {
    if (g[i] !== w[i]) assert.unreachable(`${what}: element ${i} is ${got[i]}, one thread gives ${want[i]}`);
  }
}

test('simd-2t is listed exactly where this runtime has shared wasm memory, relaxed-2t where it also validates relaxed SIMD', () => {
  assert.is(KERNEL_SET_NAMES.includes('simd-2t'), supported);
  assert.is(KERNEL_SET_NAMES.includes('relaxed-2t'), supported && relaxed);
  if (supported) assert.is(kernelSet('simd-2t').name, 'simd-2t');
  if (supported && relaxed) assert.is(kernelSet('relaxed-2t').name, 'relaxed-2t');
});

test('threadedKernelSetName is the two-thread set of the default set\'s build', () => {
  const expected = !supported ? null : defaultKernelSetName() === 'relaxed' ? 'relaxed-2t' : defaultKernelSetName() === 'simd' ? 'simd-2t' : null;
  assert.is(threadedKernelSetName(), expected);
});

test('prepareKernels resolves in Node and leaves the set ready for synchronous use', async () => {
  if (!supported) return;
  await prepareKernels('simd-2t');
  assert.is(kernelSet('simd-2t').name, 'simd-2t');
  await prepareKernels('simd');
});

test('relaxed-2t where relaxed SIMD does not validate says what is missing', () => {
  if (!supported || relaxed) return;
  assert.throws(() => kernelSet('relaxed-2t'), /does not support WebAssembly relaxed SIMD with threads \(Node 20 needs --experimental-wasm-relaxed-simd\); use simd-2t/);
});

interface MatmulCase { m: number; n: number; k: number; transA?: boolean; bias?: BiasAxis }

const MATMUL_CASES: MatmulCase[] = [
  { m: 512, n: 512, k: 512 },
  { m: 67, n: 301, k: 211, bias: 'row' },
  { m: 130, n: 97, k: 700, transA: true, bias: 'col' },
  { m: 3, n: 2000, k: 400, bias: 'col' },
  { m: 257, n: 24, k: 999, transA: true },
  // B past 4M floats, streamed K block by K block: blocks split between the threads, and not
  { m: 9, n: 2049, k: 2300, bias: 'col' },
  { m: 1, n: 4100, k: 1100, transA: true, bias: 'row' },
];

for (const [threads, single] of PAIRS) {
  for (const c of MATMUL_CASES) {
    test(`${threads}: matmul ${c.m}x${c.k} * ${c.k}x${c.n}${c.transA ? ' transA' : ''}${c.bias ? ` bias ${c.bias}` : ''}: two threads give ${single}'s bits`, () => {
      const a = random(c.m * c.k);
      const b = random(c.k * c.n);
      const bias = c.bias ? random(c.bias === 'row' ? c.m : c.n) : null;
      const one = new Float32Array(c.m * c.n);
      const two = new Float32Array(c.m * c.n).fill(NaN);
      kernelSet(single).matmul(c.m, c.n, c.k, a, !!c.transA, b, false, bias, c.bias ?? 'row', one);
      kernelSet(threads).matmul(c.m, c.n, c.k, a, !!c.transA, b, false, bias, c.bias ?? 'row', two);
      assertIdentical('matmul', two, one);
    });
  }
}

interface ConvCase { n: number; cin: number; h: number; w: number; cout: number; k: number; stride?: number; dilation?: number; pad?: number; bias?: boolean }

const CONV_CASES: ConvCase[] = [
  { n: 1, cin: 64, h: 56, w: 56, cout: 64, k: 3, pad: 1, bias: true },
  { n: 1, cin: 128, h: 28, w: 28, cout: 128, k: 3, pad: 1, bias: true },
  { n: 1, cin: 256, h: 14, w: 14, cout: 256, k: 3, pad: 1 },
  { n: 3, cin: 17, h: 33, w: 29, cout: 23, k: 3, bias: true },
  { n: 2, cin: 32, h: 41, w: 37, cout: 19, k: 5, stride: 2, pad: 2, bias: true },
  { n: 1, cin: 24, h: 40, w: 40, cout: 40, k: 3, dilation: 2, pad: 2 },
  { n: 2, cin: 96, h: 23, w: 23, cout: 70, k: 1, bias: true },
  { n: 2, cin: 40, h: 27, w: 31, cout: 36, k: 3, pad: 1, bias: true },
];

function convGeometry(c: ConvCase): ConvGeometry {
  const s = c.stride ?? 1;
  const d = c.dilation ?? 1;
  const p = c.pad ?? 0;
  const oh = windowOutputLength(c.h, c.k, s, d, p, p);
  const ow = windowOutputLength(c.w, c.k, s, d, p, p);
  return { n: c.n, cin: c.cin, h: c.h, w: c.w, cout: c.cout, kh: c.k, kw: c.k, strideH: s, strideW: s, dilationH: d, dilationW: d, padTop: p, padLeft: p, oh, ow };
}

for (const [threads, single] of PAIRS) {
  for (const c of CONV_CASES) {
    const g = convGeometry(c);
    test(`${threads}: conv2d ${c.n}x${c.cin}x${c.h}x${c.w} -> ${c.cout}, ${c.k}x${c.k} stride ${g.strideH} dilation ${g.dilationH} pad ${g.padTop}: two threads give ${single}'s bits, forward and backward data`, () => {
      const x = random(c.n * c.cin * c.h * c.w);
      const w = random(c.cout * c.cin * c.k * c.k);
      const bias = c.bias ? random(c.cout) : null;
      const size = c.n * c.cout * g.oh * g.ow;
      const one = new Float32Array(size);
      const two = new Float32Array(size).fill(NaN);
      kernelSet(single).conv2d(g, x, w, bias, one);
      kernelSet(threads).conv2d(g, x, w, bias, two);
      assertIdentical('conv2d', two, one);
      const dy = random(size);
      const dxOne = new Float32Array(x.length);
      const dxTwo = new Float32Array(x.length).fill(NaN);
      kernelSet(single).conv2dBackwardData(g, dy, w, dxOne);
      kernelSet(threads).conv2dBackwardData(g, dy, w, dxTwo);
      assertIdentical('conv2dBackwardData', dxTwo, dxOne);
    });
  }
}

test('simd-2t runs calls back to back and keeps its wasm memory once grown', () => {
  if (!supported) return;
  const set = kernelSet('simd-2t');
  const m = 200;
  const a = random(m * m);
  const one = new Float32Array(m * m);
  const two = new Float32Array(m * m);
  kernelSet('simd').matmul(m, m, m, a, false, a, false, null, 'row', one);
  for (let i = 0; i < 50; i++) {
    two.fill(NaN);
    set.matmul(m, m, m, a, false, a, false, null, 'row', two);
    assertIdentical(`call ${i}`, two, one);
  }
});

test.run();
