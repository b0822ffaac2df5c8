// Adebayo et al. 2018's model-randomisation sanity check, cascading, on the MNIST CNN
// (test/helpers/randomisation.ts; `npm run sanity:randomisation` prints every method's table).
// The layers with weights are re-initialised from the output down (out, dense2, dense1, conv2,
// conv1: Glorot-uniform kernels, zero biases, seed 1), and 16 real digits are explained for the
// trained model's class under the trained and the randomised model; the measure is the mean
// over digits of Spearman's rank correlation of the absolute maps.
//
// Only the robust part of the literature's finding is asserted. Thresholds come from what the
// script measured (16 digits, seeds 1, 2, 3, and 100 digits at seed 1), with margin:
//   stage (layers randomised):          out   +dense2 +dense1 +conv2 +conv1
//   saliency                            0.53  0.49    0.45    0.40   0.38   (seeds 2, 3: 0.36 at the end)
//   gradcam (at conv4_dropout, 4x4)     0.12  0.00    0.10   -0.10   0.08   (any seed, any stage: <= 0.27)
//   integrated-gradients, on the stroke 0.50  0.43    0.38    0.38   0.35   (seeds 2, 3: 0.35, 0.37 at the end)
//   guided-backprop                     0.96  0.94    0.79    0.67   0.59   (seeds 2, 3: >= 0.95 for out, +dense2)
//   deconvnet                           0.83  0.84    0.77    0.65   0.54   (seeds 2, 3: >= 0.74 to +dense1)
// Not asserted, and why:
//  - integrated gradients (and input x gradient) over the whole image stay at 0.99 at every
//    stage: with the zero baseline they are exactly 0 wherever x = 0, MNIST's black background
//    (81% of the pixels), under any weights; the literature's fall shows on the stroke (x > 0),
//    which is what is asserted.
//  - saliency falls below 0.5 only from the second stage on, by 0.01 to 0.03: too thin; the
//    full cascade is asserted.
//  - Grad-CAM++, LayerCAM, Score-CAM, SmoothGrad, Guided Grad-CAM: their numbers are in the
//    script's table; Grad-CAM++ in particular stays at 0.82-0.89 while only the dense layers are
//    random (its alpha = 1 / (2 + sum(A_k) g) with activations of 0..255 inputs makes w_k nearly
//    the count of positive gradients over sum(A_k), whatever their size) and falls with conv2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mnistBatch } from './helpers/mnist-digits.ts';
import { cascadingRandomisation, SANITY_METHODS, type CascadeResult } from './helpers/randomisation.ts';

const METHODS = SANITY_METHODS.filter((m) => ['saliency', 'integrated-gradients', 'gradcam', 'guided-backprop', 'deconvnet'].includes(m.method));
const label = (method: string) => METHODS.find((m) => m.method === method)!.label;

let result: CascadeResult;
const fmt = (values: readonly number[]) => values.map((v) => v.toFixed(3)).join(', ');

test.before(async () => {
  result = await cascadingRandomisation(mnistBatch(16), METHODS, { seed: 1 });
});

test('the cascade re-initialises out, dense2, dense1, conv2, conv1 in turn, and the randomised model no longer gives the trained classes', () => {
  assert.equal(result.layers, ['out', 'dense2', 'dense1', 'conv2', 'conv1']);
  // measured 1 to 3 of 16 at every stage (chance: 1.6); a no-op randomisation keeps all 16
  for (const same of result.sameClass) assert.ok(same <= 6, `the randomised model still gives ${same}/16 digits the trained class (${result.sameClass.join(', ')})`);
});

test('saliency: the gradient maps of the fully randomised model rank the pixels unlike the trained model\'s (Spearman < 0.5)', () => {
  const s = result.mean[label('saliency')];
  assert.ok(s[s.length - 1] < 0.5, `saliency's rank correlation with all layers random: ${fmt(s)}`);
  assert.ok(s[s.length - 1] < s[0] - 0.1, `saliency's rank correlation should fall along the cascade: ${fmt(s)}`);
});

test('Grad-CAM: the map changes as soon as the top layer is random (Spearman < 0.5 at every stage)', () => {
  const g = result.mean[label('gradcam')];
  for (const v of g) assert.ok(v < 0.5, `Grad-CAM's rank correlation by stage: ${fmt(g)}`);
});

test('integrated gradients: on the digit\'s stroke the fully randomised model\'s map ranks the pixels unlike the trained model\'s (Spearman < 0.5)', () => {
  const s = result.stroke[label('integrated-gradients')]!;
  assert.ok(s[s.length - 1] < 0.5, `integrated gradients' rank correlation on the stroke by stage: ${fmt(s)}`);
});

test('guided backprop and DeconvNet stay nearly the same while the dense layers are random, and change less than saliency throughout', () => {
  const guided = result.mean[label('guided-backprop')];
  const deconv = result.mean[label('deconvnet')];
  const saliency = result.mean[label('saliency')];
  // measured 0.96, 0.94 (seeds 2, 3: >= 0.95)
  assert.ok(guided[0] > 0.85 && guided[1] > 0.85, `guided backprop with out, then dense2 random: ${fmt(guided)}`);
  // stages out, +dense2, +dense1: measured >= 0.77 (guided), >= 0.74 (deconvnet) over seeds 1-3
  for (let s = 0; s < 3; s++) {
    assert.ok(guided[s] > 0.65, `guided backprop by stage: ${fmt(guided)}`);
    assert.ok(deconv[s] > 0.65, `DeconvNet by stage: ${fmt(deconv)}`);
  }
  // measured gaps over saliency: 0.16 at the least (DeconvNet with every layer random)
  for (let s = 0; s < saliency.length; s++) {
    assert.ok(guided[s] > saliency[s] + 0.1 && deconv[s] > saliency[s] + 0.1, `by stage: guided ${fmt(guided)}; DeconvNet ${fmt(deconv)}; saliency ${fmt(saliency)}`);
  }
});

test.run();
