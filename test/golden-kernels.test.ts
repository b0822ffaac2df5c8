// Replays every PyTorch golden case (test/golden/generate.py) through the ops on every kernel set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy, type NpyArray } from '../src/io/npy.ts';
import { Tensor, formatShape, kerasPadding2d, sameShape, type Padding2d } from '../src/tensor.ts';
import { KERNEL_SET_NAMES, type BiasAxis, type KernelActivation, type ReluRule } from '../src/runtime/kernel-set.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter } from '../src/ops/conv2d.ts';
import { maxPool2d, maxUnpool2d, avgPool2d, avgPool2dBackward } from '../src/ops/pool2d.ts';
import { matmul } from '../src/ops/matmul.ts';
import { relu, reluBackward, sigmoid, tanh, sigmoidBackward, tanhBackward, add, mul, scale } from '../src/ops/eltwise.ts';
import { activation, activationBackward } from '../src/ops/activations.ts';
import { softmax } from '../src/ops/softmax.ts';
import { channelAffine } from '../src/ops/channel-affine.ts';

interface Params {
  stride?: [number, number];
  dilation?: [number, number];
  padding?: Padding2d;
  keras?: 'valid' | 'same';
  inputHW?: [number, number];
  kernelHW?: [number, number];
  kernel?: [number, number];
  inputShape?: number[];
  transA?: boolean;
  transB?: boolean;
  biasAxis?: BiasAxis;
  rule?: ReluRule;
  fn?: KernelActivation;
  s?: number;
  channelAxis?: 0 | 1;
  eps?: number;
}

interface GoldenCase {
  name: string;
  op: string;
  params: Params;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'kernels');
const { cases } = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: GoldenCase[] };

const load = (file: string): NpyArray => parseNpy(readFileSync(join(DIR, file)), file);

/** A case's inputs, by name: float32 tensors, and int32 arrays for switches. */
class Inputs {
  constructor(private readonly files: Record<string, string>) {}
  has(name: string): boolean {
    return name in this.files;
  }
  t(name: string): Tensor {
    const a = load(this.files[name]);
    if (!(a.data instanceof Float32Array)) throw new Error(`${this.files[name]}: expected float32 but got ${a.dtype}`);
    return new Tensor(a.shape, a.data);
  }
  i32(name: string): Int32Array {
    const a = load(this.files[name]);
    if (!(a.data instanceof Int32Array)) throw new Error(`${this.files[name]}: expected int32 but got ${a.dtype}`);
    return a.data;
  }
}

type Outputs = Record<string, Tensor | Int32Array>;

const convOptions = (p: Params) => ({ stride: p.stride, dilation: p.dilation, padding: p.padding });
const poolOptions = (p: Params) => ({ kernel: p.kernel!, stride: p.stride, padding: p.padding });

const RUN: Record<string, (x: Inputs, p: Params) => Outputs> = {
  conv2d: (x, p) => ({ y: conv2d(x.t('x'), x.t('weight'), x.has('bias') ? x.t('bias') : null, convOptions(p)) }),
  conv2dBackwardData: (x, p) => ({ dx: conv2dBackwardData(x.t('dy'), x.t('weight'), p.inputHW!, convOptions(p)) }),
  conv2dBackwardFilter: (x, p) => conv2dBackwardFilter(x.t('x'), x.t('dy'), p.kernelHW!, convOptions(p)),
  maxPool2d: (x, p) => ({ ...maxPool2d(x.t('x'), poolOptions(p)) }),
  maxUnpool2d: (x, p) => ({ dx: maxUnpool2d(x.t('r'), x.i32('switches'), p.inputShape!, poolOptions(p)) }),
  avgPool2d: (x, p) => ({ y: avgPool2d(x.t('x'), poolOptions(p)) }),
  avgPool2dBackward: (x, p) => ({ dx: avgPool2dBackward(x.t('dy'), p.inputShape!, poolOptions(p)) }),
  matmul: (x, p) => ({
    c: matmul(x.t('a'), x.t('b'), { transA: p.transA, transB: p.transB, bias: x.has('bias') ? x.t('bias') : null, biasAxis: p.biasAxis }),
  }),
  relu: (x) => ({ y: relu(x.t('x')) }),
  reluBackward: (x, p) => ({ out: reluBackward(p.rule!, x.t('r'), x.t('z')) }),
  sigmoid: (x) => ({ y: sigmoid(x.t('x')) }),
  tanh: (x) => ({ y: tanh(x.t('x')) }),
  sigmoidBackward: (x) => ({ out: sigmoidBackward(x.t('r'), x.t('a')) }),
  tanhBackward: (x) => ({ out: tanhBackward(x.t('r'), x.t('a')) }),
  activation: (x, p) => ({ y: activation(p.fn!, x.t('x')) }),
  activationBackward: (x, p) => ({ out: activationBackward(p.fn!, p.rule!, x.t('r'), x.t('z')) }),
  softmax: (x) => ({ y: softmax(x.t('x')) }),
  channelAffine: (x, p) => {
    // BatchNorm at inference, folded the way the BatchNormalization layer does it
    const [gamma, beta, mean, variance] = ['gamma', 'beta', 'mean', 'var'].map((n) => x.t(n).data);
    const s = gamma.map((g, c) => g / Math.sqrt(variance[c] + p.eps!));
    const shift = beta.map((b, c) => b - mean[c] * s[c]);
    return { y: channelAffine(x.t('x'), new Tensor([s.length], s), new Tensor([shift.length], shift), p.channelAxis) };
  },
  add: (x) => ({ out: add(x.t('a'), x.t('b')) }),
  mul: (x) => ({ out: mul(x.t('a'), x.t('b')) }),
  scale: (x, p) => ({ out: scale(x.t('a'), p.s!) }),
};

function compare(name: string, got: Tensor | Int32Array | undefined, ref: NpyArray): void {
  if (ref.data instanceof Int32Array) {
    assert.ok(got instanceof Int32Array, `${name}: expected switches`);
    assert.is(got.length, ref.data.length, `${name}: ${got.length} values, reference has ${ref.data.length}`);
    const i = got.findIndex((v, j) => v !== ref.data[j]);
    assert.ok(i < 0, `${name}[${i}] = ${got[i]} but the reference has ${ref.data[i]}`);
    return;
  }
  assert.ok(got instanceof Tensor, `${name}: expected a tensor`);
  assert.ok(sameShape(got.shape, ref.shape), `${name}: shape ${formatShape(got.shape)}, reference ${formatShape(ref.shape)}`);
  const r = ref.data as Float32Array;
  let maxRef = 0;
  for (const v of r) maxRef = Math.max(maxRef, Math.abs(v));
  const tol = 1e-4 * maxRef + 1e-6;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < r.length; i++) {
    const d = Math.abs(got.data[i] - r[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
      if (Number.isNaN(d)) break;
    }
  }
  assert.ok(!(worst > tol) && !Number.isNaN(worst), `${name}: max|out-ref| = ${worst} > ${tol} at [${at}] (out ${got.data[at]}, ref ${r[at]})`);
}

for (const c of cases) {
  for (const set of KERNEL_SET_NAMES) {
    test(`${c.name} [${set}]`, () => {
      const run = RUN[c.op];
      assert.ok(run, `no runner for op '${c.op}'`);
      const outputs = withKernels(set, () => run(new Inputs(c.inputs), c.params));
      for (const [name, file] of Object.entries(c.outputs)) compare(name, outputs[name], load(file));
    });
  }
}

test("kerasPadding2d agrees with the generator's 'same' and 'valid' padding", () => {
  for (const c of cases) {
    const p = c.params;
    if (!p.keras || !['conv2d', 'maxPool2d', 'avgPool2d'].includes(c.op)) continue;
    const x = new Inputs(c.inputs).t('x').shape;
    const kernel = c.op === 'conv2d' ? new Inputs(c.inputs).t('weight').shape.slice(2) : p.kernel!;
    const padding = kerasPadding2d(p.keras, [x[x.length - 2], x[x.length - 1]], [kernel[0], kernel[1]], p.stride!, p.dilation ?? [1, 1]);
    assert.equal(padding, p.padding, c.name);
  }
});

test.run();
