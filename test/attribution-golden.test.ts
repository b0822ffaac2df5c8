import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import type { Model } from '../src/model/model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { predictedClasses } from '../src/methods/targets.ts';
import { Tensor, formatShape } from '../src/tensor.ts';
import { withKernels } from '../src/runtime/backend.ts';
import type { KernelSetName } from '../src/runtime/kernel-set.ts';
import { attribute } from '../src/methods/attribute.ts';

// Every attribution method of docs/ATTRIBUTION.md against the PyTorch references of
// test/golden/attribution/generate.py: batches of 3 with a different target per sample, on the
// MNIST CNN and the resnet_tiny and mobilenet_v2_tiny graph fixtures.
//
// Tolerance: SEMANTICS.md's max|out - ref| <= 1e-4 max|ref| + 1e-6, per sample (each sample has
// its own target, and its own scale). The 1e-6 stands for "1e-6 of a quantity of size 1": the
// attributions of these small networks are as small as 1e-7 (mobilenet's VarGrad), where an
// absolute 1e-6 would pass anything, so it is taken relative to max|ref_b| when that is below 1,
// except for ablation and occlusion, which are differences of probabilities (size 1) that cancel
// in float32. The generator checks that PyTorch's own float32 run of every case, two runs with the
// weights perturbed by 5e-7 and one with every decision within float32 rounding of a ReLU kink or
// a max-pooling tie flipped stay within a quarter (a half for the flips) of this tolerance: no
// path point, noisy input or ablated input sits where the engine's rounding could move a gradient.
// Delta: |delta_b - ref_b| <= 1e-4 deltaScale_b, where deltaScale_b = max(|f_b(x_b)|, |f_b(x'_b)|,
// sum|IG_b|) bounds every number the delta is a sum or difference of (its float32 error is ~1e-6
// of that).
const root = join(import.meta.dirname, '..');
const goldenDir = join(root, 'test', 'golden', 'attribution');

type NodeTarget = { layer: string; channel: number[] };
type FileRef = { file: string };
type BaselineOption = number | number[] | 'blur' | { blur: number } | FileRef;

interface Case {
  name: string;
  model: string;
  method: string;
  options: {
    target: number[] | NodeTarget;
    baseline?: BaselineOption;
    mask?: FileRef;
    [key: string]: unknown;
  };
  output: string;
  delta?: number[];
  deltaScale?: number[];
  weights?: string;
  grid?: string;
}

interface Manifest {
  models: Record<string, { model: string; input: string; classes: number[] }>;
  cases: Case[];
}

const manifest: Manifest = JSON.parse(readFileSync(join(goldenDir, 'manifest.json'), 'utf8'));

const models = new Map<string, Model>();
for (const name of Object.keys(manifest.models)) models.set(name, await loadModel(join(root, manifest.models[name].model)));
const model = (name: string): Model => models.get(name)!;
const reference = (file: string): Promise<Tensor> => readNpyTensor(join(goldenDir, file));
const input = (name: string): Promise<Tensor> => reference(manifest.models[name].input);

/** Sample b of a batched tensor, without the leading axis. */
function sample(t: Tensor, b: number): Tensor {
  const per = t.size / t.shape[0];
  return new Tensor(t.shape.slice(1), t.data.slice(b * per, (b + 1) * per));
}

/** The per-sample tolerance (see the top of the file); `absolute` for differences of probabilities. */
function within(what: string, out: Tensor | undefined, ref: Tensor, absolute: boolean): void {
  assert.ok(out !== undefined, `${what}: missing`);
  assert.is(formatShape(out!.shape), formatShape(ref.shape), `${what}: shape`);
  const n = ref.shape[0];
  const per = ref.size / n;
  for (let b = 0; b < n; b++) {
    let maxRef = 0;
    let maxDiff = 0;
    for (let i = b * per; i < (b + 1) * per; i++) {
      maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
      maxDiff = Math.max(maxDiff, Math.abs(out!.data[i] - ref.data[i]));
    }
    const tolerance = 1e-4 * maxRef + 1e-6 * (absolute ? 1 : Math.min(maxRef, 1));
    assert.ok(maxDiff <= tolerance, `${what}, sample ${b}: max|out-ref| ${maxDiff} > tolerance ${tolerance} (max|ref| ${maxRef}, ${(maxDiff / tolerance).toFixed(2)}x)`);
  }
}

/** The case's options as the library takes them: baseline and mask files as tensors. */
async function options(c: Case): Promise<Record<string, unknown>> {
  const opts: Record<string, unknown> = { ...c.options };
  const baseline = c.options.baseline;
  if (typeof baseline === 'object' && baseline !== null && 'file' in baseline) opts.baseline = await reference(baseline.file);
  if (c.options.mask) opts.mask = await reference(c.options.mask.file);
  return opts;
}

async function run(c: Case, set: KernelSetName): Promise<void> {
  const x = await input(c.model);
  const opts = { method: c.method, ...(await options(c)) } as Parameters<typeof attribute>[2];
  const r = withKernels(set, () => attribute(model(c.model), x, opts));
  const absolute = c.method === 'ablation' || c.method === 'occlusion';
  within('attribution', r.attribution, await reference(c.output), absolute);
  if (Array.isArray(c.options.target)) assert.equal(r.targets, c.options.target, 'targets');
  if (c.delta) {
    assert.ok(r.delta !== undefined, 'delta: missing');
    assert.is(r.delta!.length, c.delta.length, 'delta: length');
    c.delta.forEach((ref, b) => {
      const tolerance = 1e-4 * c.deltaScale![b];
      const diff = Math.abs(r.delta![b] - ref);
      assert.ok(diff <= tolerance, `delta, sample ${b}: ${r.delta![b]} vs ${ref} (|diff| ${diff} > ${tolerance})`);
    });
  }
  if (c.weights) within('weights', r.weights, await reference(c.weights), false);
  if (c.grid) within('grid', r.grid, await reference(c.grid), true);
}

// A few cases also on the TS reference kernels (the other golden tests' second kernel set).
const ALSO_ON_REFERENCE = new Set([
  'mnist_model/ig.gausslegendre32.zero', 'mnist_model/smoothgrad.guided-backprop', 'mnist_model/gradcam++.conv2',
  'resnet_tiny/deconvnet', 'resnet_tiny/scorecam.conv2_block1_add', 'resnet_tiny/ablation.grid5',
  'mobilenet_v2_tiny/guided-gradcam.nearest', 'mobilenet_v2_tiny/ablation.mask.blur', 'mobilenet_v2_tiny/node.ig',
]);
for (const c of manifest.cases) if (c.model === 'mnist_model' && c.method === 'occlusion') ALSO_ON_REFERENCE.add(c.name);

for (const c of manifest.cases) {
  const sets: KernelSetName[] = ALSO_ON_REFERENCE.has(c.name) ? ['simd', 'reference'] : ['simd'];
  for (const set of sets) test(`${c.name} [${set}]`, () => run(c, set));
}

test('the manifest has every method, and the cases also run on the reference kernels exist', () => {
  const methods = new Set(manifest.cases.map((c) => c.method));
  for (const m of ['saliency', 'input-x-gradient', 'integrated-gradients', 'guided-backprop', 'deconvnet', 'smoothgrad', 'smoothgrad-sq',
    'vargrad', 'gradcam', 'gradcam++', 'layercam', 'scorecam', 'guided-gradcam', 'ablation', 'occlusion']) {
    assert.ok(methods.has(m), m);
  }
  assert.is(ALSO_ON_REFERENCE.size, manifest.cases.filter((c) => ALSO_ON_REFERENCE.has(c.name)).length, 'ALSO_ON_REFERENCE names cases');
});

test('the default target is each sample\'s predicted class (MNIST occlusion, whose reference targets are those)', async () => {
  const c = manifest.cases.find((k) => k.model === 'mnist_model' && k.method === 'occlusion')!;
  assert.equal(c.options.target, manifest.models.mnist_model.classes);
  const rest = await options(c);
  delete rest.target;
  const r = attribute(model(c.model), await input(c.model), { method: 'occlusion', ...rest } as Parameters<typeof attribute>[2]);
  assert.equal(r.targets, manifest.models.mnist_model.classes);
  within('attribution', r.attribution, await reference(c.output), true);
});

test('one sample (C, H, W) gives results without the leading N, equal to its row of the batch', async () => {
  for (const name of ['mnist_model/ig.gausslegendre32.zero', 'resnet_tiny/gradcam.conv3_block1_out', 'mobilenet_v2_tiny/node.saliency']) {
    const c = manifest.cases.find((k) => k.name === name)!;
    const b = 1;
    const t = c.options.target;
    const target = Array.isArray(t) ? t[b] : { layer: t.layer, channel: t.channel[b] };
    const opts = { method: c.method, ...(await options(c)), target } as Parameters<typeof attribute>[2];
    const r = attribute(model(c.model), sample(await input(c.model), b), opts);
    const ref = sample(await reference(c.output), b);
    assert.is(formatShape(r.attribution.shape), formatShape(ref.shape), `${name}: shape`);
    within(name, new Tensor([1, ...r.attribution.shape], r.attribution.data), new Tensor([1, ...ref.shape], ref.data), false);
    if (c.delta) assert.ok(Math.abs(r.delta![0] - c.delta[b]) <= 1e-4 * c.deltaScale![b], `${name}: delta`);
  }
});

test('the predicted classes match PyTorch', async () => {
  for (const [name, m] of Object.entries(manifest.models)) assert.equal(predictedClasses(model(name).predict(await input(name))), m.classes, name);
});

test.run();
