import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Tensor } from '../src/tensor.ts';
import { attribute, ATTRIBUTION_METHODS, type AttributeOptions } from '../src/methods/attribute.ts';
import { gradCam } from '../src/methods/grad-cam.ts';
import { occlusion } from '../src/methods/occlusion.ts';
import { normalizeAttribution, cumulativeSumThreshold } from '../src/methods/attribution-display.ts';
import { integrationPoints } from '../src/methods/attribution/integration.ts';
import { expectConvscopeError } from './helpers/errors.ts';

// The attribution API beyond the PyTorch goldens: a batch gives what its samples give one by one,
// single samples keep their unbatched shapes, and every wrong argument is one clear E_ARGUMENT.
const root = join(import.meta.dirname, '..');
const model = await loadModel(join(root, 'test', 'fixtures', 'models', 'mnist_model.h5'));
const digits = await readNpyTensor(join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy'));
const three = new Tensor([3, 1, 28, 28], digits.data.slice(0, 3 * 784));
const one = (b: number) => new Tensor([1, 28, 28], three.data.slice(b * 784, (b + 1) * 784));
const targets = [3, 2, 7];

const OPTIONS: Partial<Record<string, Partial<AttributeOptions>>> = {
  'integrated-gradients': { steps: 8 }, smoothgrad: { samples: 3 }, 'smoothgrad-sq': { samples: 3 }, vargrad: { samples: 3 },
  gradcam: { layer: 'conv2' }, 'gradcam++': { layer: 'conv2' }, layercam: { layer: 'conv2' }, scorecam: { layer: 'conv2' },
  'guided-gradcam': { layer: 'conv2' }, ablation: { grid: 7 }, occlusion: { size: 7, stride: 7 },
};

for (const method of ATTRIBUTION_METHODS) {
  test(`${method}: a batch of 3 gives what each sample gives alone (a target per sample)`, () => {
    const opts = { method, ...OPTIONS[method] } as AttributeOptions;
    const batch = attribute(model, three, { ...opts, target: targets });
    const per = batch.attribution.size / 3;
    assert.equal(batch.targets, targets);
    for (let b = 0; b < 3; b++) {
      const single = attribute(model, one(b), { ...opts, target: targets[b] });
      assert.equal(single.attribution.shape, batch.attribution.shape.slice(1));
      const want = batch.attribution.data.subarray(b * per, (b + 1) * per);
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < per; i++) {
        scale = Math.max(scale, Math.abs(want[i]));
        diff = Math.max(diff, Math.abs(want[i] - single.attribution.data[i]));
      }
      assert.ok(scale > 0, `${method}: sample ${b} is all zeros`);
      assert.ok(diff <= 1e-5 * scale, `${method}: sample ${b} differs by ${diff} (scale ${scale})`);
    }
  });
}

test('the noise tunnel is seeded: the same seed gives the same numbers, another seed others', () => {
  const a = attribute(model, three, { method: 'smoothgrad', samples: 3, seed: 5 }).attribution.data;
  const b = attribute(model, three, { method: 'smoothgrad', samples: 3, seed: 5 }).attribution.data;
  const c = attribute(model, three, { method: 'smoothgrad', samples: 3, seed: 6 }).attribution.data;
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from(c));
});

test('gradCam and occlusion take batches with a class per sample', () => {
  const cams = gradCam(model, three, { layer: 'conv2', target: targets });
  assert.equal(cams.cam.shape, [3, 8, 8]);
  assert.equal(cams.weights.shape, [3, cams.weights.shape[1]]);
  assert.equal(cams.targetClasses, targets);
  const alone = gradCam(model, one(1), { layer: 'conv2', target: targets[1] });
  assert.equal(Array.from(cams.cam.data.subarray(64, 128)), Array.from(alone.cam.data));
  const occ = occlusion(model, three, { size: 7, stride: 7, target: targets, baseline: [128] });
  assert.equal(occ.grid.shape, [3, 4, 4]);
  assert.equal(occ.targetClasses, targets);
  const single = occlusion(model, one(2), { size: 7, stride: 7, target: targets[2], fill: 128 });
  assert.equal(Array.from(occ.grid.data.subarray(32, 48)), Array.from(single.grid.data));
});

test('Captum\'s integration points: trapezoid weights sum to (n-1)/n, Gauss-Legendre to 1', () => {
  const sum = (w: number[]) => w.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum(integrationPoints('riemann_trapezoid', 8).weights) - 7 / 8) < 1e-12);
  assert.ok(Math.abs(sum(integrationPoints('gausslegendre', 50).weights) - 1) < 1e-12);
  assert.equal(integrationPoints('riemann_left', 4).alphas, [0, 0.25, 0.5, 0.75]);
  assert.equal(integrationPoints('riemann_right', 4).alphas, [0.25, 0.5, 0.75, 1]);
});

test('normalizeAttribution follows visualize_image_attr: channel sum, cumulative-sum threshold, clip', () => {
  const a = new Tensor([2, 1, 4], [1, -2, 3, 0, 1, 0, 3, 10]); // channel sum: 2, -2, 6, 10
  assert.is(cumulativeSumThreshold(Float32Array.from([2, 2, 6, 10]), 98), 10);
  assert.is(cumulativeSumThreshold(Float32Array.from([2, 2, 6, 10]), 50), 6);
  assert.equal(Array.from(normalizeAttribution(a, { outlierPerc: 60 })), [2 / 6, -2 / 6, 1, 1].map(Math.fround));
  assert.equal(Array.from(normalizeAttribution(a, { sign: 'positive' })), [0.2, 0, 0.6, 1].map(Math.fround));
  assert.equal(Array.from(normalizeAttribution(a, { sign: 'negative' })), [0, 1, 0, 0]);
  assert.equal(Array.from(normalizeAttribution(a, { sign: 'absolute' })), [0.2, 0.2, 0.6, 1].map(Math.fround));
  assert.equal(Array.from(normalizeAttribution(new Tensor([2, 2], [0, 0, 0, 0]))), [0, 0, 0, 0]);
});

test('wrong arguments are one E_ARGUMENT line naming the choices', async () => {
  const cases: [Partial<AttributeOptions> & Record<string, unknown>, RegExp | string][] = [
    [{ method: 'lime' as never }, /unknown method 'lime'; valid methods: saliency, input-x-gradient, integrated-gradients, .*, occlusion$/],
    [{ method: 'gradcam', steps: 4 }, "option 'steps' does not apply to gradcam; its options: layer, upsample, target"],
    [{ method: 'saliency', colour: 'red' }, "option 'colour' does not apply to saliency"],
    [{ method: 'saliency', target: [1, 2] }, 'give one class for all samples or one per sample: 2 for a batch of 3'],
    [{ method: 'saliency', target: 12 }, 'class 12 is out of range; the model has 10 classes (0..9)'],
    [{ method: 'saliency', target: 'seven' as never }, 'the target must be a class, a class per sample, or {layer, channel}'],
    [{ method: 'saliency', target: { layer: 'conv2', channel: 99 } }, /channel 99 is out of range: layer 'conv2' has \d+ channels/],
    [{ method: 'saliency', target: { layer: 'conv9', channel: 1 } }, "unknown layer 'conv9'; layers: conv1, pool1, conv2"],
    [{ method: 'ig', steps: 1 }, 'steps must be a whole number >= 2, not the number 1'],
    [{ method: 'ig', integration: 'simpson' as never }, "unknown integration 'simpson'; valid integration rules: gausslegendre, riemann_left, riemann_right, riemann_middle, riemann_trapezoid"],
    [{ method: 'ig', baseline: [1, 2, 3] }, 'a per-channel baseline needs 1 finite numbers (one per input channel), not an array of 3'],
    [{ method: 'ig', baseline: { blur: -1 } }, "the baseline must be a number, one number per channel, a tensor, 'blur' or {blur: sigma > 0}"],
    [{ method: 'ig', baseline: new Tensor([2, 2], [0, 0, 0, 0]) }, 'the baseline tensor has shape [2, 2]; give [1, 28, 28] or [3, 1, 28, 28]'],
    [{ method: 'smoothgrad', of: 'gradcam' as never }, "unknown method under the noise (of) 'gradcam'; valid methods: saliency, input-x-gradient, integrated-gradients, guided-backprop, deconvnet"],
    [{ method: 'smoothgrad', samples: 0 }, 'samples must be a positive whole number, not the number 0'],
    [{ method: 'smoothgrad', stdevs: -1 }, 'stdevs must be a finite number >= 0, not the number -1'],
    [{ method: 'gradcam', layer: 'conv2', target: { layer: 'conv1', channel: 0 } }, "layer 'conv2' does not feed 'conv1', the target's node; choose a layer before it"],
    [{ method: 'saliency', abs: 'yes' as never }, "abs must be true or false, not the string 'yes'"],
    [{ method: 'gradcam', layer: 'flatten' }, "layer 'flatten' has output [512]; choose a layer with a (C, H, W) output"],
    [{ method: 'guided-gradcam', interpolate: 'cubic' as never }, "unknown interpolate 'cubic'; valid interpolation modes: nearest, bilinear"],
    [{ method: 'ablation', mask: new Tensor([28], new Float32Array(28)) }, 'the feature mask has shape [28]; give (28, 28) or (1, 28, 28) labels'],
    [{ method: 'ablation', mask: new Tensor([28, 28], new Float32Array(784).fill(0.5)) }, 'the feature mask must hold whole numbers from 0 (labels), not 0.5'],
    [{ method: 'occlusion', size: 40 }, 'the 40x40 occluder is larger than the 28x28 input'],
  ];
  for (const [options, message] of cases) await expectConvscopeError(() => attribute(model, three, options as AttributeOptions), 'E_ARGUMENT', message);
  await expectConvscopeError(() => attribute(model, three, undefined as never), 'E_ARGUMENT');
  const nan = new Tensor([1, 28, 28], new Float32Array(784).fill(NaN));
  await expectConvscopeError(() => attribute(model, nan, { method: 'saliency' }), 'E_NONFINITE', '784 NaN');
});

test.run();
