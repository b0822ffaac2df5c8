import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import type { Model } from '../src/model/model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Tensor, formatShape } from '../src/tensor.ts';
import { withKernels } from '../src/runtime/backend.ts';
import type { KernelSetName } from '../src/runtime/kernel-set.ts';
import { backwardNet, type BackwardMethod } from '../src/methods/backward-net.ts';
import { occlusion } from '../src/methods/occlusion.ts';
import { gradCam, defaultGradCamLayer } from '../src/methods/grad-cam.ts';

// Backward nets, occlusion and Grad-CAM against the PyTorch references of
// test/golden/methods/generate.py, with SEMANTICS.md's tolerance.
const root = join(import.meta.dirname, '..');
const goldenDir = join(root, 'test', 'golden', 'methods');

interface BackwardCase {
  model: string;
  layer: string;
  channel?: number;
  unit: 'all' | 'max';
  method: BackwardMethod;
  sample?: number;
  output: string;
}

interface OcclusionCase {
  model: string;
  sample: number;
  size: number;
  stride: number;
  fill: number;
  target?: number;
  layer?: string;
  channel?: number;
  targetClass: number | null;
  baseline: number;
  grid: string;
  attribution: string;
}

interface GradCamCase {
  model: string;
  layer: string;
  sample: number;
  target?: number;
  targetClass: number;
  cam: string;
  weights: string;
}

interface Manifest {
  models: Record<string, { model: string; input: string; dataFormat: string; classes: number[] }>;
  backward: BackwardCase[];
  occlusion: OcclusionCase[];
  gradcam: GradCamCase[];
}

const manifest: Manifest = JSON.parse(readFileSync(join(goldenDir, 'manifest.json'), 'utf8'));

const models = new Map<string, Model>();
for (const name of Object.keys(manifest.models)) models.set(name, await loadModel(join(root, manifest.models[name].model)));
function model(name: string): Model {
  return models.get(name)!;
}

/** The model's golden inputs (N, C, H, W), or sample `sample` of them (C, H, W). */
async function input(name: string, sample?: number): Promise<Tensor> {
  const x = await readNpyTensor(join(goldenDir, manifest.models[name].input));
  if (sample === undefined) return x;
  const per = x.size / x.shape[0];
  return new Tensor(x.shape.slice(1), x.data.slice(sample * per, (sample + 1) * per));
}

const reference = (file: string): Promise<Tensor> => readNpyTensor(join(goldenDir, file));

function within(what: string, out: Tensor, ref: Tensor): void {
  assert.is(formatShape(out.shape), formatShape(ref.shape), `${what}: shape`);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < ref.size; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
    maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - ref.data[i]));
  }
  assert.ok(maxDiff <= 1e-4 * maxRef + 1e-6, `${what}: max|out-ref| ${maxDiff} > tolerance (max|ref| ${maxRef})`);
}

function describe(c: { layer: string; channel?: number; sample?: number }): string {
  return `${c.layer}${c.channel === undefined ? '' : ` channel ${c.channel}`}${c.sample === undefined ? '' : ` sample ${c.sample}`}`;
}

// DeconvNet through max pooling (switches, ties among zeros) and SaliNet over whole layers also run on the TS reference kernels.
const alsoOnReference = (c: BackwardCase): boolean => (c.method === 'deconvnet' && c.unit === 'max') || (c.method === 'salinet' && c.channel === undefined);

for (const c of manifest.backward) {
  const sets: KernelSetName[] = alsoOnReference(c) ? ['simd', 'reference'] : ['simd'];
  for (const set of sets) {
    test(`${c.model}: ${c.method} ${describe(c)} unit ${c.unit} [${set}]`, async () => {
      const x = await input(c.model, c.sample);
      const r = withKernels(set, () => backwardNet(model(c.model), x, { layer: c.layer, channel: c.channel, unit: c.unit, method: c.method }));
      within('result', r, await reference(c.output));
    });
  }
}

test('mnist_model: desalinet is guided backprop under its other name', async () => {
  const c = manifest.backward.find((b) => b.model === 'mnist_model' && b.method === 'guided' && b.layer === 'pool2' && b.unit === 'max')!;
  const r = backwardNet(model(c.model), await input(c.model), { layer: c.layer, channel: c.channel, unit: c.unit, method: 'desalinet' });
  within('result', r, await reference(c.output));
});

for (const c of manifest.occlusion) {
  const target = c.layer !== undefined ? `${c.layer} channel ${c.channel}` : c.target !== undefined ? `class ${c.target}` : 'predicted class';
  test(`${c.model}: occlusion size ${c.size} stride ${c.stride} fill ${c.fill} ${target}`, async () => {
    const result = occlusion(model(c.model), await input(c.model, c.sample), {
      size: c.size, stride: c.stride, fill: c.fill, target: c.target, layer: c.layer, channel: c.channel,
    });
    assert.is(result.targetClass, c.targetClass);
    const grid = await reference(c.grid);
    within('grid', result.grid, grid);
    const scale = Math.max(...Array.from(grid.data, Math.abs), Math.abs(c.baseline));
    assert.ok(Math.abs(result.baseline - c.baseline) <= 1e-4 * scale + 1e-6, `baseline ${result.baseline} vs ${c.baseline}`);
    within('attribution', result.attribution, await reference(c.attribution));
  });
}

for (const c of manifest.gradcam) {
  test(`${c.model}: gradcam ${c.layer} sample ${c.sample} ${c.target === undefined ? 'predicted class' : `class ${c.target}`}`, async () => {
    const result = gradCam(model(c.model), await input(c.model, c.sample), { layer: c.layer, target: c.target });
    assert.is(result.targetClass, c.targetClass);
    within('weights', result.weights, await reference(c.weights));
    within('cam', result.cam, await reference(c.cam));
  });
}

test('the predicted classes match PyTorch', async () => {
  for (const [name, m] of Object.entries(manifest.models)) {
    const y = model(name).predict(await input(name));
    const k = y.shape[1];
    const classes = Array.from({ length: y.shape[0] }, (_, b) => {
      let best = 0;
      for (let j = 1; j < k; j++) if (y.data[b * k + j] > y.data[b * k + best]) best = j;
      return best;
    });
    assert.equal(classes, m.classes, name);
  }
});

test('Grad-CAM without a layer takes the last (C, H, W) layer before the first flat one (SEMANTICS.md)', () => {
  const m = model('mnist_model');
  assert.is(defaultGradCamLayer(m), 'conv4_dropout');
  const x = new Tensor(m.inputShape, Float32Array.from({ length: 784 }, (_, i) => (i * 37) % 256));
  assert.equal(Array.from(gradCam(m, x).cam.data), Array.from(gradCam(m, x, { layer: 'conv4_dropout' }).cam.data));
});

test.run();
