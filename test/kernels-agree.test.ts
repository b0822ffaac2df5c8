import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, windowOutputLength, kerasPadding2d, sizeOf, type Padding2d } from '../src/tensor.ts';
import { kernelSet, withKernels } from '../src/runtime/backend.ts';
import { maxUnpool2d } from '../src/ops/pool2d.ts';
import { ConvscopeError } from '../src/errors.ts';
import { KERNEL_ACTIVATIONS, KERNEL_SET_NAMES, RELU_RULES, type ConvGeometry, type KernelSet, type PoolGeometry } from '../src/runtime/kernel-set.ts';
import { seededRandom, randomTensor } from './helpers/random.ts';

// Every set, the reference included, runs each case; the reference's own run checks that it overwrites its outputs.
const SETS = KERNEL_SET_NAMES;
const reference = kernelSet('reference');
const rng = seededRandom(20240611);

const random = (n: number, scale = 1): Float32Array => randomTensor(rng, [n]).data.map((v) => v * scale);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const pad = (top: number, bottom: number, left: number, right: number): Padding2d => ({ top, bottom, left, right });

// Inputs and outputs sit one element into a larger buffer, so a runtime that ignores byteOffset or writes past
// the end is caught; outputs start as NaN (-7 for switches) so every element must be written.
function inView<T extends Float32Array | Int32Array>(src: T): T {
  const buf = new (src.constructor as { new (n: number): T })(src.length + 2);
  buf.set(src, 1);
  return buf.subarray(1, src.length + 1) as T;
}
const outF32 = (n: number): Float32Array => new Float32Array(n + 2).fill(NaN).subarray(1, n + 1);
const outI32 = (n: number): Int32Array => new Int32Array(n + 2).fill(-7).subarray(1, n + 1);

type Outputs = Record<string, Float32Array | Int32Array>;

function assertAgrees(what: string, got: Float32Array | Int32Array, ref: Float32Array | Int32Array): void {
  const whole = new (got.constructor as { new (b: ArrayBufferLike): Float32Array | Int32Array })(got.buffer);
  const guard = (v: number) => (got instanceof Int32Array ? v === -7 : Number.isNaN(v));
  assert.ok(guard(whole[0]) && guard(whole[whole.length - 1]), `${what}: wrote outside its output`);
  assert.is(got.length, ref.length, `${what}: length`);
  if (got instanceof Int32Array) {
    for (let i = 0; i < ref.length; i++) {
      if (got[i] !== ref[i]) assert.unreachable(`${what}: switch ${i} is ${got[i]}, reference ${ref[i]}`);
    }
    return;
  }
  let maxRef = 0;
  let maxDiff = 0;
  let worst = -1;
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(got[i]) || !Number.isFinite(ref[i])) assert.unreachable(`${what}: element ${i} is ${got[i]}, reference ${ref[i]}`);
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    const d = Math.abs(got[i] - ref[i]);
    if (d > maxDiff) [maxDiff, worst] = [d, i];
  }
  const tol = 1e-4 * maxRef + 1e-6;
  assert.ok(maxDiff <= tol, `${what}: max|out-ref| = ${maxDiff} at ${worst} (got ${got[worst]}, reference ${ref[worst]}) > ${tol}`);
}

/** Runs the case on the reference, then on every set, comparing each output. */
function agree(run: (ks: KernelSet) => Outputs): void {
  const expected = run(reference);
  for (const name of SETS) {
    const got = run(kernelSet(name));
    for (const key of Object.keys(expected)) assertAgrees(`${name} ${key}`, got[key], expected[key]);
  }
}

interface ConvCase {
  n: number; cin: number; h: number; w: number; cout: number;
  k: [number, number]; stride?: [number, number]; dilation?: [number, number]; padding?: Padding2d;
}

function convGeometry(c: ConvCase): ConvGeometry {
  const [kh, kw] = c.k;
  const [strideH, strideW] = c.stride ?? [1, 1];
  const [dilationH, dilationW] = c.dilation ?? [1, 1];
  const p = c.padding ?? pad(0, 0, 0, 0);
  const oh = windowOutputLength(c.h, kh, strideH, dilationH, p.top, p.bottom);
  const ow = windowOutputLength(c.w, kw, strideW, dilationW, p.left, p.right);
  return { n: c.n, cin: c.cin, h: c.h, w: c.w, cout: c.cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop: p.top, padLeft: p.left, oh, ow };
}

const CONV_CASES: ConvCase[] = [
  { n: 1, cin: 1, h: 5, w: 5, cout: 1, k: [1, 1] },
  { n: 2, cin: 3, h: 7, w: 9, cout: 5, k: [1, 1], stride: [2, 2] },
  { n: 1, cin: 4, h: 8, w: 8, cout: 8, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { n: 2, cin: 5, h: 9, w: 11, cout: 7, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { n: 1, cin: 6, h: 10, w: 13, cout: 3, k: [3, 3], stride: [2, 2], padding: pad(0, 1, 0, 1) },
  { n: 1, cin: 2, h: 11, w: 7, cout: 9, k: [3, 3], stride: [3, 3], padding: pad(1, 1, 1, 1) },
  { n: 1, cin: 9, h: 5, w: 5, cout: 17, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { n: 1, cin: 16, h: 6, w: 6, cout: 16, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { n: 2, cin: 3, h: 12, w: 10, cout: 6, k: [5, 5], padding: pad(2, 2, 2, 2) },
  { n: 1, cin: 7, h: 13, w: 9, cout: 5, k: [5, 5], stride: [2, 2], padding: pad(1, 2, 2, 1) },
  { n: 1, cin: 3, h: 17, w: 15, cout: 4, k: [7, 7], stride: [2, 2], padding: pad(3, 3, 3, 3) },
  { n: 2, cin: 1, h: 9, w: 9, cout: 2, k: [7, 7] },
  { n: 1, cin: 4, h: 9, w: 10, cout: 5, k: [3, 3], dilation: [2, 2], padding: pad(2, 2, 2, 2) },
  { n: 2, cin: 3, h: 11, w: 11, cout: 3, k: [3, 3], stride: [2, 2], dilation: [2, 2], padding: pad(0, 1, 2, 0) },
  { n: 1, cin: 5, h: 6, w: 17, cout: 1, k: [1, 3], stride: [1, 2] },
  { n: 1, cin: 3, h: 4, w: 33, cout: 4, k: [5, 3], stride: [3, 1], dilation: [1, 2], padding: pad(1, 1, 0, 2) },
  { n: 1, cin: 2, h: 3, w: 3, cout: 3, k: [5, 5], padding: pad(2, 2, 2, 2) },
  { n: 2, cin: 3, h: 7, w: 7, cout: 5, k: [3, 3], stride: [2, 2], padding: kerasPadding2d('same', [7, 7], [3, 3], [2, 2]) },
  // the Winograd path (3x3, stride 1, 8+ channels): odd sizes, four-tile groups and remainders,
  // asymmetric padding, a padding its adjoint cannot take (3), K and M past one GEMM block, chunks
  { n: 2, cin: 8, h: 13, w: 11, cout: 12, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { n: 1, cin: 12, h: 20, w: 37, cout: 9, k: [3, 3] },
  { n: 1, cin: 10, h: 9, w: 18, cout: 8, k: [3, 3], padding: pad(2, 0, 2, 1) },
  { n: 1, cin: 8, h: 7, w: 7, cout: 8, k: [3, 3], padding: pad(3, 3, 3, 3) },
  { n: 1, cin: 330, h: 6, w: 9, cout: 20, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { n: 1, cin: 9, h: 5, w: 12, cout: 140, k: [3, 3], padding: pad(1, 1, 1, 1) },
  { n: 1, cin: 64, h: 19, w: 80, cout: 64, k: [3, 3], padding: pad(1, 1, 1, 1) },
];

const convName = (c: ConvCase, g: ConvGeometry): string =>
  `conv2d (${c.n},${c.cin},${c.h},${c.w}) -> (${c.n},${c.cout},${g.oh},${g.ow}), ${g.kh}x${g.kw} s${g.strideH}x${g.strideW} d${g.dilationH}x${g.dilationW}` +
  ` pad ${g.padTop},${c.padding?.bottom ?? 0},${g.padLeft},${c.padding?.right ?? 0}: forward, backward data and filter`;

for (const c of CONV_CASES) {
  const g = convGeometry(c);
  test(convName(c, g), () => {
    const x = inView(random(g.n * g.cin * g.h * g.w));
    const w = inView(random(g.cout * g.cin * g.kh * g.kw));
    const bias = inView(random(g.cout));
    const dy = inView(random(g.n * g.cout * g.oh * g.ow));
    const ySize = g.n * g.cout * g.oh * g.ow;
    agree((ks) => {
      const y = outF32(ySize);
      const yNoBias = outF32(ySize);
      const dx = outF32(x.length);
      const dw = outF32(w.length);
      const db = outF32(g.cout);
      ks.conv2d(g, x, w, bias, y);
      ks.conv2d(g, x, w, null, yNoBias);
      ks.conv2dBackwardData(g, dy, w, dx);
      ks.conv2dBackwardFilter(g, x, dy, dw, db);
      return { y, yNoBias, dx, dw, db };
    });
  });
}

interface PoolCase {
  planes: number; h: number; w: number; k: [number, number]; stride: [number, number]; padding?: Padding2d;
}

function poolGeometry(c: PoolCase): PoolGeometry {
  const p = c.padding ?? pad(0, 0, 0, 0);
  const [kh, kw] = c.k;
  const [strideH, strideW] = c.stride;
  const oh = windowOutputLength(c.h, kh, strideH, 1, p.top, p.bottom);
  const ow = windowOutputLength(c.w, kw, strideW, 1, p.left, p.right);
  return { planes: c.planes, h: c.h, w: c.w, kh, kw, strideH, strideW, padTop: p.top, padLeft: p.left, oh, ow };
}

const POOL_CASES: PoolCase[] = [
  { planes: 3, h: 8, w: 8, k: [2, 2], stride: [2, 2] },
  { planes: 5, h: 7, w: 9, k: [2, 2], stride: [2, 2] },
  { planes: 2, h: 4, w: 33, k: [2, 2], stride: [2, 2] },
  { planes: 17, h: 5, w: 6, k: [2, 2], stride: [2, 2], padding: kerasPadding2d('same', [5, 6], [2, 2], [2, 2]) },
  { planes: 2, h: 9, w: 9, k: [3, 3], stride: [2, 2] },
  { planes: 4, h: 10, w: 7, k: [3, 3], stride: [2, 2] },
  { planes: 3, h: 7, w: 8, k: [3, 3], stride: [2, 2], padding: kerasPadding2d('same', [7, 8], [3, 3], [2, 2]) },
  { planes: 1, h: 13, w: 17, k: [3, 3], stride: [2, 2], padding: pad(1, 1, 1, 1) },
  { planes: 3, h: 5, w: 6, k: [3, 3], stride: [1, 1], padding: pad(1, 1, 1, 1) },
  { planes: 6, h: 9, w: 5, k: [3, 3], stride: [1, 1], padding: pad(2, 0, 0, 2) },
  { planes: 2, h: 4, w: 33, k: [3, 3], stride: [1, 1], padding: pad(1, 1, 1, 1) },
  { planes: 7, h: 6, w: 7, k: [2, 3], stride: [1, 2], padding: pad(1, 0, 0, 2) },
];

for (const c of POOL_CASES) {
  const g = poolGeometry(c);
  const p = c.padding ?? pad(0, 0, 0, 0);
  const name = `pool2d ${g.planes}x(${g.h},${g.w}) -> (${g.oh},${g.ow}), ${g.kh}x${g.kw} s${g.strideH}x${g.strideW} pad ${p.top},${p.bottom},${p.left},${p.right}`;
  test(`${name}: max (random and tied values), unpool, avg and its backward`, () => {
    const inSize = g.planes * g.h * g.w;
    const outSize = g.planes * g.oh * g.ow;
    const x = inView(random(inSize));
    // Values on a coarse grid make many ties, so the first-maximum rule is compared too.
    const tied = inView(random(inSize).map((v) => Math.round(v * 2) / 2));
    const r = inView(random(outSize));
    const switches = outI32(outSize);
    reference.maxPool2d(g, x, outF32(outSize), switches);
    agree((ks) => {
      const out: Outputs = {};
      for (const [label, input] of [['random', x], ['tied', tied]] as const) {
        const y = (out[`maxPool2d ${label}`] = outF32(outSize));
        ks.maxPool2d(g, input, y as Float32Array, (out[`switches ${label}`] = outI32(outSize)) as Int32Array);
      }
      const dx = outF32(inSize);
      ks.maxUnpool2d(g, r, inView(switches), dx);
      const avg = outF32(outSize);
      ks.avgPool2d(g, x, avg);
      const avgBack = outF32(inSize);
      ks.avgPool2dBackward(g, r, avgBack);
      return { ...out, maxUnpool2d: dx, avgPool2d: avg, avgPool2dBackward: avgBack };
    });
  });
}

// The kernels check the switches as they read them (the op's only check): the first one outside
// the input plane, negative or past its end, is named, on every kernel set.
for (const set of KERNEL_SET_NAMES) {
  test(`maxUnpool2d names the first switch outside the input plane [${set}]`, () => {
    const r = new Tensor([2, 1, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    for (const [bad, at] of [[16, 5], [-1, 2], [2 ** 31 - 1, 7]]) {
      const switches = Int32Array.from([0, 2, 8, 10, 0, 2, 8, 10]);
      switches[at] = bad;
      assert.throws(
        () => withKernels(set, () => maxUnpool2d(r, switches, [2, 1, 4, 4], { kernel: [2, 2] })),
        (e: unknown) => e instanceof ConvscopeError && e.message === `maxUnpool2d: switch ${at} is ${bad}, outside the 4x4 input plane`,
      );
    }
  });
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 33];
const MATMUL_CASES: [number, number, number][] = [[3, 5, 0]];
for (let i = 0; i < 40; i++) MATMUL_CASES.push([SIZES[i % SIZES.length], pick(SIZES), pick(SIZES)]);
// B past 4M floats goes into wasm memory K block by K block (a Dense layer's weights at small batch)
MATMUL_CASES.push([2, 2050, 2100], [9, 2049, 2300]);

for (const [m, n, k] of MATMUL_CASES) {
  test(`matmul M,N,K = ${m},${n},${k}: every transA/transB with no, row and column bias`, () => {
    const a = inView(random(m * k));
    const b = inView(random(k * n));
    const rowBias = inView(random(m));
    const colBias = inView(random(n));
    agree((ks) => {
      const out: Outputs = {};
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const tag = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
          for (const [label, bias, axis] of [['none', null, 'col'], ['row', rowBias, 'row'], ['col', colBias, 'col']] as const) {
            const c = (out[`${tag} bias ${label}`] = outF32(m * n)) as Float32Array;
            ks.matmul(m, n, k, a, transA, b, transB, bias, axis, c);
          }
        }
      }
      return out;
    });
  });
}

const LENGTHS = Array.from({ length: 38 }, (_, i) => i);

function eltwiseCase(len: number) {
  // Every fifth value exactly 0, so the ReLU rules are compared at the boundary.
  const zeroed = (v: Float32Array) => v.map((x, i) => (i % 5 === 0 ? 0 : x));
  return {
    x: inView(zeroed(random(len, 6))),
    r: inView(zeroed(random(len))),
    a: inView(random(len)),
    prob: inView(random(len).map((v) => (v + 1) / 2)),
  };
}

test('eltwise lengths 0..37: relu, reluBackward (every rule), sigmoid, tanh and their backward, add, mul, scale', () => {
  for (const len of LENGTHS) {
    const { x, r, a, prob } = eltwiseCase(len);
    agree((ks) => {
      const out = (key: string, fill: (o: Float32Array) => void): [string, Float32Array] => {
        const o = outF32(len);
        fill(o);
        return [`${key} length ${len}`, o];
      };
      return Object.fromEntries([
        out('relu', (o) => ks.relu(x, o)),
        ...RELU_RULES.map((rule) => out(`reluBackward ${rule}`, (o) => ks.reluBackward(rule, r, x, o))),
        out('sigmoid', (o) => ks.sigmoid(x, o)),
        out('tanh', (o) => ks.tanh(x, o)),
        out('sigmoidBackward', (o) => ks.sigmoidBackward(r, prob, o)),
        out('tanhBackward', (o) => ks.tanhBackward(r, a, o)),
        out('add', (o) => ks.add(x, a, o)),
        out('mul', (o) => ks.mul(x, a, o)),
        out('scale', (o) => ks.scale(x, -1.75, o)),
      ]);
    });
  }
});

test('activation kernels, lengths 0..37: relu6 (every rule), swish, hard_swish, gelu, gelu_tanh and their backward', () => {
  for (const len of LENGTHS) {
    const { x, r } = eltwiseCase(len);
    // relu6's upper edge and hard_swish's corners, exactly
    const z = inView(x.map((v, i) => (i % 7 === 3 ? 6 : i % 7 === 4 ? -3 : i % 7 === 5 ? 3 : v)));
    agree((ks) => {
      const out = (key: string, fill: (o: Float32Array) => void): [string, Float32Array] => {
        const o = outF32(len);
        fill(o);
        return [`${key} length ${len}`, o];
      };
      return Object.fromEntries(KERNEL_ACTIVATIONS.flatMap((fn) => [
        out(fn, (o) => ks.activation(fn, z, o)),
        ...(fn === 'relu6' ? RELU_RULES : ['salinet' as const]).map((rule) => out(`${fn} backward ${rule}`, (o) => ks.activationBackward(fn, rule, r, z, o))),
      ]));
    });
  }
});

test('softmax rows 1..3 x cols 1..33, with a row shifted by 1000', () => {
  for (const rows of [1, 2, 3]) {
    for (const cols of SIZES) {
      const x = random(rows * cols, 10);
      if (rows === 3) for (let j = 0; j < cols; j++) x[2 * cols + j] += 1000;
      const xs = inView(x);
      agree((ks) => {
        const y = outF32(rows * cols);
        ks.softmax(rows, cols, xs, y);
        return { [`softmax ${rows}x${cols}`]: y };
      });
    }
  }
});

test('channelAffine (N,C,inner) for N 1..2, C 1..5, inner 1..17', () => {
  for (const n of [1, 2]) {
    for (const channels of [1, 3, 4, 5]) {
      for (const inner of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17]) {
        const x = inView(random(sizeOf([n, channels, inner])));
        const scale = inView(random(channels));
        const shift = inView(random(channels));
        agree((ks) => {
          const y = outF32(x.length);
          ks.channelAffine(n, channels, inner, x, scale, shift, y);
          return { [`channelAffine (${n},${channels},${inner})`]: y };
        });
      }
    }
  }
});

test.run();
