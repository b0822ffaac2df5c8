// Replays the depthwise golden cases (test/golden/generate_depthwise.py, PyTorch conv2d with
// groups = Cin) through depthwiseConv2d, its adjoint and its filter gradient on every kernel set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy } from '../src/io/npy.ts';
import { Tensor, formatShape, kerasPadding2d, sameShape, type Padding2d } from '../src/tensor.ts';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { depthwiseConv2d, depthwiseConv2dBackwardData, depthwiseConv2dBackwardFilter } from '../src/ops/depthwise-conv2d.ts';
import { ConvscopeError } from '../src/errors.ts';
import { randomTensor, seededRandom } from './helpers/random.ts';

interface DepthwiseCase {
  name: string;
  params: { stride: [number, number]; dilation: [number, number]; padding: Padding2d; cin: number; inputHW: [number, number]; keras?: 'valid' | 'same' };
  inputs: Record<string, string>;
  outputs: { y: string; dx: string; dw: string; db: string };
}

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'depthwise');
const { cases } = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: DepthwiseCase[] };

function load(file: string): Tensor {
  const a = parseNpy(readFileSync(join(DIR, file)), file);
  return new Tensor(a.shape, a.data as Float32Array);
}

function close(name: string, got: Tensor, ref: Tensor): void {
  assert.ok(sameShape(got.shape, ref.shape), `${name}: shape ${formatShape(got.shape)}, reference ${formatShape(ref.shape)}`);
  const maxRef = ref.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const tol = 1e-4 * maxRef + 1e-6;
  let worst = 0;
  for (let i = 0; i < ref.size; i++) worst = Math.max(worst, Math.abs(got.data[i] - ref.data[i]) || (Number.isNaN(got.data[i]) ? Infinity : 0));
  assert.ok(worst <= tol, `${name}: max|out-ref| = ${worst} > ${tol}`);
}

for (const c of cases) {
  const p = c.params;
  const opts = { stride: p.stride, dilation: p.dilation, padding: p.padding };
  for (const set of KERNEL_SET_NAMES) {
    test(`depthwiseConv2d ${c.name} [${set}]`, () => {
      const bias = c.inputs.bias ? load(c.inputs.bias) : null;
      close('y', withKernels(set, () => depthwiseConv2d(load(c.inputs.x), load(c.inputs.weight), bias, opts)), load(c.outputs.y));
    });
    test(`depthwiseConv2dBackwardData ${c.name} [${set}]`, () => {
      close('dx', withKernels(set, () => depthwiseConv2dBackwardData(load(c.inputs.dy), load(c.inputs.weight), p.cin, p.inputHW, opts)), load(c.outputs.dx));
    });
    test(`depthwiseConv2dBackwardFilter ${c.name} [${set}]`, () => {
      const { dw, db } = withKernels(set, () => depthwiseConv2dBackwardFilter(load(c.inputs.x), load(c.inputs.dy), load(c.inputs.weight).shape, opts));
      close('dw', dw, load(c.outputs.dw));
      close('db', db, load(c.outputs.db));
    });
  }
}

// Random geometries beyond the goldens: every kernel set agrees with the reference, the backward
// kernel is the adjoint, <depthwise(x), dy> = <x, adjoint(dy)>, and the filter gradient is the
// other one: <depthwise(x, w), dy> = <w, dw>.
test('depthwise kernels agree with the reference and their adjoints on 60 random geometries', () => {
  const rng = seededRandom(10);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const dot = (a: Tensor, b: Tensor) => a.data.reduce((s, v, i) => s + v * b.data[i], 0);
  for (let i = 0; i < 60; i++) {
    const [cin, mult, kh, kw] = [int(1, 4), int(1, 3), int(1, 5), int(1, 5)];
    const stride: [number, number] = [int(1, 3), int(1, 3)];
    const dilation: [number, number] = rng() < 0.3 ? [int(1, 2), int(1, 3)] : [1, 1];
    const [h, w] = [int(kh * dilation[0], 20), int(kw * dilation[1], 37)];
    const padding = { top: int(0, 3), bottom: int(0, 3), left: int(0, 3), right: int(0, 3) };
    const opts = { stride, dilation, padding };
    const x = randomTensor(rng, [int(1, 2), cin, h, w]);
    const weight = randomTensor(rng, [cin * mult, 1, kh, kw]);
    const bias = randomTensor(rng, [cin * mult]);
    const label = `case ${i}: c${cin}x${mult} ${h}x${w} k${kh}x${kw} s${stride} d${dilation} pad ${Object.values(padding)}`;
    const y = withKernels('reference', () => depthwiseConv2d(x, weight, bias, opts));
    const dy = randomTensor(rng, y.shape);
    const dx = withKernels('reference', () => depthwiseConv2dBackwardData(dy, weight, cin, [h, w], opts));
    const lhs = dot(withKernels('reference', () => depthwiseConv2d(x, weight, null, opts)), dy);
    assert.ok(Math.abs(lhs - dot(x, dx)) <= 1e-4 * (Math.abs(lhs) + 1), `${label}: not the adjoint`);
    const { dw, db } = withKernels('reference', () => depthwiseConv2dBackwardFilter(x, dy, weight.shape, opts));
    assert.ok(Math.abs(lhs - dot(weight, dw)) <= 1e-4 * (Math.abs(lhs) + 1), `${label}: dw is not the filter gradient`);
    for (const set of KERNEL_SET_NAMES) {
      close(`${label} y [${set}]`, withKernels(set, () => depthwiseConv2d(x, weight, bias, opts)), y);
      close(`${label} dx [${set}]`, withKernels(set, () => depthwiseConv2dBackwardData(dy, weight, cin, [h, w], opts)), dx);
      const got = withKernels(set, () => depthwiseConv2dBackwardFilter(x, dy, weight.shape, opts));
      close(`${label} dw [${set}]`, got.dw, dw);
      close(`${label} db [${set}]`, got.db, db);
    }
  }
});

test("the generator's 'same' padding is kerasPadding2d's", () => {
  for (const { params: p, inputs } of cases) {
    if (p.keras !== 'same') continue;
    const [kh, kw] = load(inputs.weight).shape.slice(2);
    assert.equal(kerasPadding2d('same', p.inputHW, [kh, kw], p.stride, p.dilation), p.padding);
  }
});

test('depthwiseConv2d refuses a weight whose filters are not a multiple of the channels', () => {
  const x = Tensor.zeros([3, 5, 5]);
  assert.throws(() => depthwiseConv2d(x, Tensor.zeros([4, 1, 3, 3]), null), (e: unknown) => e instanceof ConvscopeError && /3 channels but the weight has 4 filters/.test(e.message));
  assert.throws(() => depthwiseConv2d(x, Tensor.zeros([3, 3, 3, 3]), null), (e: unknown) => e instanceof ConvscopeError && /\(Cin\*M, 1, KH, KW\)/.test(e.message));
});

test('depthwiseConv2dBackwardFilter refuses a dy the conv would not give, and a kernelShape that is not a depthwise weight', () => {
  const x = Tensor.zeros([2, 3, 5, 5]);
  const refuses = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => e instanceof ConvscopeError && pattern.test(e.message));
  refuses(() => depthwiseConv2dBackwardFilter(x, Tensor.zeros([2, 3, 4, 4]), [3, 1, 3, 3]), /dy has shape \[2, 3, 4, 4\] but the depthwise conv gives \[2, 3, 3, 3\]/);
  refuses(() => depthwiseConv2dBackwardFilter(x, Tensor.zeros([1, 3, 3, 3]), [3, 1, 3, 3]), /input has batch 2 but dy has batch 1/);
  refuses(() => depthwiseConv2dBackwardFilter(x, Tensor.zeros([2, 3, 3, 3]), [3, 3]), /\(Cin\*M, 1, KH, KW\)/);
  refuses(() => depthwiseConv2dBackwardFilter(x, Tensor.zeros([2, 4, 3, 3]), [4, 1, 3, 3]), /3 channels but the weight has 4 filters/);
});

test.run();
