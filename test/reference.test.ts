import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, kerasPadding2d, type Padding2d } from '../src/tensor.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { RELU_RULES, type ReluRule } from '../src/runtime/kernel-set.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter, type Conv2dOptions } from '../src/ops/conv2d.ts';
import { maxPool2d, maxUnpool2d, avgPool2d, avgPool2dBackward } from '../src/ops/pool2d.ts';
import { matmul } from '../src/ops/matmul.ts';
import { relu, reluBackward, sigmoid, tanh, sigmoidBackward, tanhBackward, add, mul, scale } from '../src/ops/eltwise.ts';
import { softmax } from '../src/ops/softmax.ts';
import { channelAffine } from '../src/ops/channel-affine.ts';
import { seededRandom, randomTensor } from './helpers/random.ts';

const ref = <T>(fn: () => T): T => withKernels('reference', fn);
const ones = (shape: number[]): Tensor => new Tensor(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1));
const arange = (shape: number[], start = 0): Tensor => new Tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => start + i));
const pad = (top: number, bottom: number, left: number, right: number): Padding2d => ({ top, bottom, left, right });

function dot(a: Tensor, b: Tensor): number {
  assert.equal(a.shape, b.shape);
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  assert.is(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      assert.unreachable(`at ${i}: got ${actual[i]}, expected ${expected[i]} (all: [${Array.from(actual).join(', ')}])`);
    }
  }
}

function assertRelClose(a: number, b: number, what: string): void {
  const ok = Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b));
  assert.ok(ok, `${what}: ${a} vs ${b}`);
}

function assertThrowsWith(fn: () => unknown, parts: string[]): void {
  try {
    fn();
  } catch (e) {
    const message = (e as Error).message;
    for (const p of parts) assert.ok(message.includes(p), `'${message}' should contain '${p}'`);
    return;
  }
  assert.unreachable(`expected an error containing ${parts.join(', ')}`);
}

test('conv2d 1x1x4x4 all ones, 3x3 all-ones kernel: every output is 9 (+ bias)', () => {
  const y = ref(() => conv2d(ones([1, 1, 4, 4]), ones([1, 1, 3, 3]), new Tensor([1], [0.5])));
  assert.equal(y.shape, [1, 1, 2, 2]);
  assertClose(y.data, [9.5, 9.5, 9.5, 9.5]);
});

test('conv2d (1,4,4) all ones, 3x3 kernel, padding 1: counts the in-bounds taps', () => {
  const y = ref(() => conv2d(ones([1, 4, 4]), ones([1, 1, 3, 3]), null, { padding: pad(1, 1, 1, 1) }));
  assert.equal(y.shape, [1, 4, 4]);
  assertClose(y.data, [4, 6, 6, 4, 6, 9, 9, 6, 6, 9, 9, 6, 4, 6, 6, 4]);
});

test('conv2d (1,3,3) all ones, 2x2 kernel, asymmetric padding top/left 1', () => {
  const y = ref(() => conv2d(ones([1, 3, 3]), ones([1, 1, 2, 2]), null, { padding: pad(1, 0, 1, 0) }));
  assert.equal(y.shape, [1, 3, 3]);
  assertClose(y.data, [1, 2, 2, 2, 4, 4, 2, 4, 4]);
});

test('conv2d (1,4,4) arange, 2x2 ones kernel, stride 2', () => {
  const y = ref(() => conv2d(arange([1, 4, 4]), ones([1, 1, 2, 2]), null, { stride: [2, 2] }));
  assert.equal(y.shape, [1, 2, 2]);
  assertClose(y.data, [10, 18, 42, 50]);
});

test('conv2d (1,4,4) arange, 2x2 ones kernel, dilation 2', () => {
  const y = ref(() => conv2d(arange([1, 4, 4]), ones([1, 1, 2, 2]), null, { dilation: [2, 2] }));
  assert.equal(y.shape, [1, 2, 2]);
  assertClose(y.data, [20, 24, 36, 40]);
});

test('conv2d (2,2,1,1) batch, 1x1 kernel (3,2): mixes channels like a matrix', () => {
  const x = new Tensor([2, 2, 1, 1], [1, 2, 3, 4]);
  const w = new Tensor([3, 2, 1, 1], [1, 0, 0, 1, 1, -1]);
  const y = ref(() => conv2d(x, w, new Tensor([3], [0, 10, 100])));
  assert.equal(y.shape, [2, 3, 1, 1]);
  assertClose(y.data, [1, 12, 99, 3, 14, 99]);
});

function checkBackwardDataAdjoint(seed: number, xShape: number[], wShape: number[], opts: Conv2dOptions): void {
  const rng = seededRandom(seed);
  const x = randomTensor(rng, xShape);
  const w = randomTensor(rng, wShape);
  const y = ref(() => conv2d(x, w, null, opts));
  const dy = randomTensor(rng, [...y.shape]);
  const dx = ref(() => conv2dBackwardData(dy, w, [xShape[2], xShape[3]], opts));
  assert.equal(dx.shape, xShape);
  assertRelClose(dot(y, dy), dot(x, dx), '<conv(x), dy> vs <x, convT(dy)>');
}

test('conv2dBackwardData (2,3,4,5) with a 1x1 (4,3) kernel is the adjoint of conv2d', () => {
  checkBackwardDataAdjoint(1, [2, 3, 4, 5], [4, 3, 1, 1], {});
});

test('conv2dBackwardData (2,3,7,6) with a 3x3 (4,3) kernel, stride 2, padding 1,0,1,1 is the adjoint of conv2d', () => {
  checkBackwardDataAdjoint(2, [2, 3, 7, 6], [4, 3, 3, 3], { stride: [2, 2], padding: pad(1, 0, 1, 1) });
});

test('conv2dBackwardData (1,2,9,8) with a 3x3 (3,2) kernel, dilation 2, stride (1,2), padding 2 is the adjoint of conv2d', () => {
  checkBackwardDataAdjoint(3, [1, 2, 9, 8], [3, 2, 3, 3], { stride: [1, 2], dilation: [2, 2], padding: pad(2, 2, 2, 2) });
});

function checkBackwardFilter(seed: number, xShape: number[], wShape: number[], opts: Conv2dOptions): void {
  const rng = seededRandom(seed);
  const x = randomTensor(rng, xShape);
  const w = randomTensor(rng, wShape);
  const y = ref(() => conv2d(x, w, null, opts));
  const dy = randomTensor(rng, [...y.shape]);
  const { dw, db } = ref(() => conv2dBackwardFilter(x, dy, [wShape[2], wShape[3]], opts));
  assert.equal(dw.shape, wShape);
  assertRelClose(dot(y, dy), dot(w, dw), '<conv(x, w), dy> vs <w, dW(x, dy)>');
  const [n, cout, oh, ow] = y.shape;
  const sums = Array.from({ length: cout }, (_, co) => {
    let s = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < oh * ow; i++) s += dy.data[(b * cout + co) * oh * ow + i];
    return s;
  });
  assertClose(db.data, sums, 1e-5);
}

test('conv2dBackwardFilter (2,3,5,6) with a 3x3 (4,3) kernel, padding 1: <conv(x,w), dy> == <w, dW> and db sums dy', () => {
  checkBackwardFilter(4, [2, 3, 5, 6], [4, 3, 3, 3], { padding: pad(1, 1, 1, 1) });
});

test('conv2dBackwardFilter (2,2,8,7) with a 2x3 (3,2) kernel, stride 2, dilation 2, padding 0,1,2,0', () => {
  checkBackwardFilter(5, [2, 2, 8, 7], [3, 2, 2, 3], { stride: [2, 2], dilation: [2, 2], padding: pad(0, 1, 2, 0) });
});

test('maxPool2d (1,4,4) all zeros, 2x2 stride 2: ties go to the first position of each window', () => {
  const { y, switches } = ref(() => maxPool2d(new Tensor([1, 4, 4]), { kernel: [2, 2] }));
  assert.equal(y.shape, [1, 2, 2]);
  assertClose(y.data, [0, 0, 0, 0]);
  assert.equal(Array.from(switches), [0, 2, 8, 10]);
});

test('maxPool2d (1,2,2) with a repeated maximum: the first in row-major order wins', () => {
  const { y, switches } = ref(() => maxPool2d(new Tensor([1, 2, 2], [1, 3, 3, 2]), { kernel: [2, 2] }));
  assertClose(y.data, [3]);
  assert.equal(Array.from(switches), [1]);
});

test('maxPool2d (1,3,3) all negative, 3x3 stride 1 padding 1: padded positions never win', () => {
  const x = new Tensor([1, 3, 3], [-5, -3, -9, -4, -8, -2, -7, -6, -1]);
  const { y, switches } = ref(() => maxPool2d(x, { kernel: [3, 3], stride: [1, 1], padding: pad(1, 1, 1, 1) }));
  assert.equal(y.shape, [1, 3, 3]);
  assertClose(y.data, [-3, -2, -2, -3, -1, -1, -4, -1, -1]);
  assert.equal(Array.from(switches), [1, 5, 5, 1, 8, 8, 3, 8, 8]);
});

test('maxPool2d (1,3,3) all -Infinity, 3x3 stride 2 padding 1: the switch is the first in-bounds position', () => {
  const x = new Tensor([1, 3, 3], new Float32Array(9).fill(-Infinity));
  const { y, switches } = ref(() => maxPool2d(x, { kernel: [3, 3], stride: [2, 2], padding: pad(1, 1, 1, 1) }));
  assert.equal(Array.from(y.data), [-Infinity, -Infinity, -Infinity, -Infinity]);
  assert.equal(Array.from(switches), [0, 1, 3, 4]);
});

test('maxUnpool2d (1,5,5), 3x3 windows stride 2 sharing their maximum: the values sum at the switch', () => {
  const x = new Tensor([1, 5, 5], new Float32Array(25).fill(-1));
  x.data[12] = 9;
  const opts = { kernel: [3, 3], stride: [2, 2] } as const;
  const { y, switches } = ref(() => maxPool2d(x, opts));
  assert.equal(Array.from(switches), [12, 12, 12, 12]);
  assertClose(y.data, [9, 9, 9, 9]);
  const dx = ref(() => maxUnpool2d(new Tensor([1, 2, 2], [1, 2, 3, 4]), switches, [1, 5, 5], opts));
  const expected = new Array(25).fill(0);
  expected[12] = 10;
  assertClose(dx.data, expected);
});

test('maxUnpool2d (2,1,4,4), 2x2 stride 2: each value goes to its own plane at its switch', () => {
  const x = new Tensor([2, 1, 4, 4], [...Array.from({ length: 16 }, (_, i) => i), ...Array.from({ length: 16 }, (_, i) => -i)]);
  const opts = { kernel: [2, 2] } as const;
  const { switches } = ref(() => maxPool2d(x, opts));
  assert.equal(Array.from(switches), [5, 7, 13, 15, 0, 2, 8, 10]);
  const dx = ref(() => maxUnpool2d(new Tensor([2, 1, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), switches, [2, 1, 4, 4], opts));
  const expected = new Array(32).fill(0);
  [5, 7, 13, 15, 16, 18, 24, 26].forEach((at, i) => (expected[at] = i + 1));
  assertClose(dx.data, expected);
});

test("avgPool2d (1,3,3), 2x2 stride 1 'same' padding: divides by the in-bounds count", () => {
  const padding = kerasPadding2d('same', [3, 3], [2, 2], [1, 1]);
  assert.equal(padding, pad(0, 1, 0, 1));
  const y = ref(() => avgPool2d(arange([1, 3, 3], 1), { kernel: [2, 2], stride: [1, 1], padding }));
  assert.equal(y.shape, [1, 3, 3]);
  assertClose(y.data, [3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9]);
});

test('avgPool2d (1,3,3), 3x3 stride 1 padding 1: corner, edge and centre counts 4, 6, 9', () => {
  const y = ref(() => avgPool2d(arange([1, 3, 3], 1), { kernel: [3, 3], stride: [1, 1], padding: pad(1, 1, 1, 1) }));
  assertClose(y.data, [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7], 1e-6);
});

test("avgPool2dBackward (2,3,7,6), 3x3 stride 2 'same' padding is the adjoint of avgPool2d", () => {
  const rng = seededRandom(6);
  const opts = { kernel: [3, 3], stride: [2, 2], padding: kerasPadding2d('same', [7, 6], [3, 3], [2, 2]) } as const;
  const x = randomTensor(rng, [2, 3, 7, 6]);
  const y = ref(() => avgPool2d(x, opts));
  assert.equal(y.shape, [2, 3, 4, 3]);
  const dy = randomTensor(rng, [...y.shape]);
  const dx = ref(() => avgPool2dBackward(dy, x.shape, opts));
  assertRelClose(dot(y, dy), dot(x, dx), '<avg(x), dy> vs <x, avgT(dy)>');
});

test('matmul (2,3)x(3,2) with every transA/transB combination and no, column or row bias', () => {
  const a = new Tensor([2, 3], [1, 2, 3, 4, 5, 6]);
  const aT = new Tensor([3, 2], [1, 4, 2, 5, 3, 6]);
  const b = new Tensor([3, 2], [1, 0, 0, 1, 1, 1]);
  const bT = new Tensor([2, 3], [1, 0, 1, 0, 1, 1]);
  const cases = [
    { bias: null, biasAxis: 'col', expected: [4, 5, 10, 11] },
    { bias: new Tensor([2], [10, 20]), biasAxis: 'col', expected: [14, 25, 20, 31] },
    { bias: new Tensor([2], [100, 200]), biasAxis: 'row', expected: [104, 105, 210, 211] },
  ] as const;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const { bias, biasAxis, expected } of cases) {
        const c = ref(() => matmul(transA ? aT : a, transB ? bT : b, { transA, transB, bias, biasAxis }));
        assert.equal(c.shape, [2, 2]);
        assertClose(c.data, expected);
      }
    }
  }
});

test('relu (5): negatives and zero become 0', () => {
  assertClose(ref(() => relu(new Tensor([5], [-2, -0.5, 0, 0.5, 3]))).data, [0, 0, 0, 0.5, 3]);
});

test('reluBackward (5) for the salinet, deconvnet and guided rules', () => {
  const r = new Tensor([5], [-2, -1, 1, 2, 3]);
  const z = new Tensor([5], [1, -1, 1, -1, 0]);
  const expected: Record<ReluRule, number[]> = {
    salinet: [-2, 0, 1, 0, 0],
    deconvnet: [0, 0, 1, 2, 3],
    guided: [0, 0, 1, 0, 0],
  };
  for (const rule of RELU_RULES) assertClose(ref(() => reluBackward(rule, r, z)).data, expected[rule]);
});

test('sigmoid (5) at 0, +-ln 3 and +-100', () => {
  const y = ref(() => sigmoid(new Tensor([5], [0, Math.log(3), -Math.log(3), 100, -100])));
  assertClose(y.data, [0.5, 0.75, 0.25, 1, 0]);
});

test('tanh (4) at 0, atanh(0.5), -atanh(0.5) and 100', () => {
  const y = ref(() => tanh(new Tensor([4], [0, Math.atanh(0.5), -Math.atanh(0.5), 100])));
  assertClose(y.data, [0, 0.5, -0.5, 1]);
});

test('sigmoidBackward and tanhBackward (3) from the forward outputs', () => {
  const r = new Tensor([3], [2, 1, -4]);
  assertClose(ref(() => sigmoidBackward(r, new Tensor([3], [0.5, 0.25, 1]))).data, [0.5, 0.1875, 0]);
  assertClose(ref(() => tanhBackward(r, new Tensor([3], [0.5, 0, -1]))).data, [1.5, 1, 0]);
});

test('sigmoidBackward and tanhBackward (7) match finite differences of sigmoid and tanh', () => {
  const z = new Tensor([7], [-3, -1, -0.25, 0, 0.5, 1, 2.5]);
  const r = ones([7]);
  const eps = 1e-3;
  for (const [f, fb] of [[sigmoid, sigmoidBackward], [tanh, tanhBackward]] as const) {
    const grad = ref(() => fb(r, f(z)));
    const up = ref(() => f(new Tensor([7], z.data.map((v) => v + eps))));
    const down = ref(() => f(new Tensor([7], z.data.map((v) => v - eps))));
    assertClose(grad.data, up.data.map((v, i) => (v - down.data[i]) / (2 * eps)), 1e-3);
  }
});

test('softmax (3,3): rows sum to 1 and large inputs (1000) stay finite', () => {
  const y = ref(() => softmax(new Tensor([3, 3], [1, 2, 3, 1000, 1000, 1000, 1000, 0, -1000])));
  const s = 1 + Math.exp(-1) + Math.exp(-2);
  assertClose(y.data, [Math.exp(-2) / s, Math.exp(-1) / s, 1 / s, 1 / 3, 1 / 3, 1 / 3, 1, 0, 0]);
});

test('softmax (2,3,4) random: every row of the last axis sums to 1', () => {
  const y = ref(() => softmax(randomTensor(seededRandom(7), [2, 3, 4])));
  for (let r = 0; r < 6; r++) {
    const row = y.data.subarray(r * 4, r * 4 + 4);
    assert.ok(row.every((v) => v > 0 && v < 1));
    assertClose([row.reduce((a, b) => a + b, 0)], [1], 1e-6);
  }
});

test('channelAffine (2,3,2,2): each channel scaled and shifted', () => {
  const y = ref(() => channelAffine(ones([2, 3, 2, 2]), new Tensor([3], [1, 2, 3]), new Tensor([3], [0, 10, 20])));
  const plane = (v: number) => [v, v, v, v];
  assertClose(y.data, [...plane(1), ...plane(12), ...plane(23), ...plane(1), ...plane(12), ...plane(23)]);
});

test('channelAffine (2,3): dense features scaled and shifted per unit', () => {
  const y = ref(() => channelAffine(new Tensor([2, 3], [1, 2, 3, 4, 5, 6]), new Tensor([3], [1, 2, 3]), new Tensor([3], [1, 1, 1])));
  assertClose(y.data, [2, 5, 10, 5, 11, 19]);
});

test('channelAffine (2,1,2) channels first: channel axis 0', () => {
  const y = ref(() => channelAffine(new Tensor([2, 1, 2], [1, 2, 3, 4]), new Tensor([2], [2, -1]), new Tensor([2], [0, 1])));
  assertClose(y.data, [2, 4, -2, -3]);
});

test('add, mul and scale (2,2)', () => {
  const a = new Tensor([2, 2], [1, 2, 3, 4]);
  const b = new Tensor([2, 2], [0.5, -1, 2, 0]);
  assertClose(ref(() => add(a, b)).data, [1.5, 1, 5, 4]);
  assertClose(ref(() => mul(a, b)).data, [0.5, -2, 6, 0]);
  assertClose(ref(() => scale(a, -0.5)).data, [-0.5, -1, -1.5, -2]);
});

test('conv2d (1,3,4,4) with a (2,1,3,3) kernel: error names the op and both channel counts', () => {
  assertThrowsWith(() => ref(() => conv2d(ones([1, 3, 4, 4]), ones([2, 1, 3, 3]), null)), ['conv2d', 'input has 3 channels', 'expects 1']);
});

test('conv2d with a (3) bias for 2 output channels: error names the op and both shapes', () => {
  assertThrowsWith(() => ref(() => conv2d(ones([1, 4, 4]), ones([2, 1, 3, 3]), ones([3]))), ['conv2d', '[3]', '[2]']);
});

test('conv2dBackwardData with a (1,2,3,3) dy for a 4x4 input: error names the op and both shapes', () => {
  assertThrowsWith(() => ref(() => conv2dBackwardData(ones([1, 2, 3, 3]), ones([2, 1, 3, 3]), [4, 4])), ['conv2dBackwardData', '[1, 2, 3, 3]', '[1, 2, 2, 2]']);
});

test('matmul (2,3)x(4,2): error names the op and both shapes', () => {
  assertThrowsWith(() => ref(() => matmul(ones([2, 3]), ones([4, 2]))), ['matmul', '[2, 3]', '[4, 2]']);
});

test('maxUnpool2d with a (1,3,3) signal for a (1,4,4) input pooled 2x2: error names the op and both shapes', () => {
  const switches = new Int32Array(9);
  assertThrowsWith(() => ref(() => maxUnpool2d(ones([1, 3, 3]), switches, [1, 4, 4], { kernel: [2, 2] })), ['maxUnpool2d', '[1, 3, 3]', '[1, 2, 2]']);
});

test('add (2,3)+(3,2): error names the op and both shapes', () => {
  assertThrowsWith(() => ref(() => add(ones([2, 3]), ones([3, 2]))), ['add', '[2, 3]', '[3, 2]']);
});

test('channelAffine (2,3,2,2) with a (2) scale: error names the op and both shapes', () => {
  assertThrowsWith(() => ref(() => channelAffine(ones([2, 3, 2, 2]), ones([2]), ones([3]))), ['channelAffine', '[2]', '[3]']);
});

test.run();
