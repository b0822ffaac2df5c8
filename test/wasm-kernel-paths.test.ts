// The paths inside the wasm GEMM and conv kernels that small property cases do not reach: more
// than one K, M or N block, 1..3 rows left in the last panel of A, B read in place (at most 4
// rows), strips of B gathered rather than copied (output rows that end inside a strip, strides),
// the image read in place when it needs no padding, and the backward pass's fused col2im with
// its crop of the padded gradient. Each runs on every wasm kernel set (relaxed SIMD where the
// runtime validates it) and is compared with the TypeScript reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { windowOutputLength, type Padding2d } from '../src/tensor.ts';
import { kernelSet } from '../src/runtime/backend.ts';
import { KERNEL_SET_NAMES, type ConvGeometry, type KernelSet } from '../src/runtime/kernel-set.ts';
import { seededRandom } from './helpers/random.ts';

const rng = seededRandom(777);
const random = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng() * 2 - 1);
const pad = (top: number, bottom: number, left: number, right: number): Padding2d => ({ top, bottom, left, right });
const reference = kernelSet('reference');
const wasmSets = KERNEL_SET_NAMES.filter((name) => name !== 'reference');

function assertAgrees(what: string, got: Float32Array, ref: Float32Array): void {
  let maxRef = 0;
  let maxDiff = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(got[i])) assert.unreachable(`${what}: element ${i} is ${got[i]}`);
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    const d = Math.abs(got[i] - ref[i]);
    if (d > maxDiff) [maxDiff, at] = [d, i];
  }
  const tol = 1e-4 * maxRef + 1e-6;
  assert.ok(maxDiff <= tol, `${what}: max|out-ref| = ${maxDiff} at ${at} (got ${got[at]}, reference ${ref[at]}) > ${tol}`);
}

function agree(run: (ks: KernelSet) => Record<string, Float32Array>): void {
  const expected = run(reference);
  for (const name of wasmSets) {
    const got = run(kernelSet(name));
    for (const key of Object.keys(expected)) assertAgrees(`${name} ${key}`, got[key], expected[key]);
  }
}

interface ConvCase {
  what: string;
  n: number; cin: number; h: number; w: number; cout: number; k: [number, number];
  stride?: [number, number]; dilation?: [number, number]; padding?: Padding2d;
}

const CONV_CASES: ConvCase[] = [
  { what: 'two K blocks, two M blocks (2 rows in the last panel); backward: 360-row GEMM', n: 2, cin: 40, h: 13, w: 21, cout: 130, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { what: 'N past one column block, 5 output channels (1 row in the last panel)', n: 1, cin: 3, h: 40, w: 37, cout: 5, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { what: 'padding wider than the kernel (the backward pass crops it off)', n: 1, cin: 4, h: 7, w: 9, cout: 6, k: [3, 3], padding: pad(3, 0, 4, 1) },
  { what: 'dilated', n: 1, cin: 5, h: 11, w: 10, cout: 9, k: [3, 3], dilation: [2, 2], padding: pad(2, 2, 2, 2) },
  { what: 'strided, K and M blocks, every strip gathered', n: 1, cin: 40, h: 31, w: 29, cout: 9, k: [3, 3], stride: [2, 2], padding: pad(1, 1, 1, 1) },
  { what: 'one output channel (B in place), 2x5 kernel, asymmetric padding', n: 2, cin: 6, h: 9, w: 17, cout: 1, k: [2, 5], padding: pad(1, 0, 2, 2) },
  { what: 'two output channels (B in place, output rows ending inside strips)', n: 1, cin: 2, h: 12, w: 11, cout: 2, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { what: 'four output channels (B in place), 3 input channels', n: 1, cin: 3, h: 10, w: 16, cout: 4, k: [3, 3], padding: pad(0, 2, 1, 1) },
  { what: 'one input channel, 2x2 kernel: the backward GEMM has 4 rows (dy in place)', n: 1, cin: 1, h: 9, w: 17, cout: 7, k: [2, 2] },
  { what: '3x1 valid (the image read in place, no padded copy)', n: 2, cin: 7, h: 6, w: 10, cout: 9, k: [3, 1] },
  { what: 'pointwise', n: 1, cin: 33, h: 5, w: 7, cout: 6, k: [1, 1] },
  { what: '5x5 valid on 12x12 (the gradient image needs no padding)', n: 1, cin: 16, h: 12, w: 12, cout: 32, k: [5, 5] },
];

for (const c of CONV_CASES) {
  const [kh, kw] = c.k;
  const [strideH, strideW] = c.stride ?? [1, 1];
  const [dilationH, dilationW] = c.dilation ?? [1, 1];
  const p = c.padding ?? pad(0, 0, 0, 0);
  const oh = windowOutputLength(c.h, kh, strideH, dilationH, p.top, p.bottom);
  const ow = windowOutputLength(c.w, kw, strideW, dilationW, p.left, p.right);
  const g: ConvGeometry = { n: c.n, cin: c.cin, h: c.h, w: c.w, cout: c.cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop: p.top, padLeft: p.left, oh, ow };
  test(`conv2d (${c.n},${c.cin},${c.h},${c.w}) -> (${c.n},${c.cout},${oh},${ow}), ${kh}x${kw}: ${c.what}`, () => {
    const x = random(c.n * c.cin * c.h * c.w);
    const w = random(c.cout * c.cin * kh * kw);
    const bias = random(c.cout);
    const dy = random(c.n * c.cout * oh * ow);
    agree((ks) => {
      const y = new Float32Array(dy.length).fill(NaN);
      const yNoBias = new Float32Array(dy.length).fill(NaN);
      const dx = new Float32Array(x.length).fill(NaN);
      ks.conv2d(g, x, w, bias, y);
      ks.conv2d(g, x, w, null, yNoBias);
      ks.conv2dBackwardData(g, dy, w, dx);
      return { y, yNoBias, dx };
    });
  });
}

const MATMUL_CASES: { m: number; n: number; k: number; allTransposes: boolean }[] = [
  { m: 130, n: 530, k: 330, allTransposes: false },
  { m: 1, n: 1030, k: 333, allTransposes: true },
  { m: 3, n: 17, k: 650, allTransposes: true },
  { m: 4, n: 9, k: 5, allTransposes: true },
  { m: 5, n: 8, k: 321, allTransposes: true },
  { m: 2, n: 23, k: 1, allTransposes: true },
];

for (const { m, n, k, allTransposes } of MATMUL_CASES) {
  test(`matmul M,N,K = ${m},${n},${k}: no, row and column bias${allTransposes ? ', every transA/transB' : ''}`, () => {
    const a = random(m * k);
    const b = random(k * n);
    const rowBias = random(m);
    const colBias = random(n);
    agree((ks) => {
      const out: Record<string, Float32Array> = {};
      for (const transA of allTransposes ? [false, true] : [false]) {
        for (const transB of allTransposes ? [false, true] : [false]) {
          for (const [label, bias, axis] of [['none', null, 'col'], ['row', rowBias, 'row'], ['col', colBias, 'col']] as const) {
            const c = (out[`${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} bias ${label}`] = new Float32Array(m * n).fill(NaN));
            ks.matmul(m, n, k, a, transA, b, transB, bias, axis, c);
          }
        }
      }
      return out;
    });
  });
}

test.run();
