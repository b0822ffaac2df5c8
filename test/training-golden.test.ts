import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Tensor } from '../src/tensor.ts';
import { Trainer, type TrainerOptions } from '../src/train/trainer.ts';
import { backpropagate } from '../src/train/backprop.ts';
import { mnistCnn } from '../src/train/sequential.ts';
import type { Model } from '../src/model/model.ts';
import { kerasWeights } from '../src/model/keras-weights.ts';
import { goldenMismatch } from './helpers/tolerance.ts';

// One training step of the engine against PyTorch autograd (test/golden/training/generate.py):
// on a fixed batch, dropout off, BatchNormalization on the batch's statistics, the loss, every
// trainable weight's gradient in Keras's layout (through kerasWeights), every weight after two
// optimiser steps on the same batch, and BN's moving statistics after the first, within
// SEMANTICS.md's tolerance. TRAINING_GOLDEN_REPORT=1 prints how much of the tolerance each
// fixture uses.
const root = join(import.meta.dirname, '..');
const goldenDir = join(root, 'test', 'golden', 'training');

interface Run extends TrainerOptions {
  optimizer: 'sgd' | 'adam';
  steps: number;
  /** Every weight after `steps` steps, 'layer/weight' -> file (Keras layout). */
  weights: Record<string, string>;
  movingAfterStep1: Record<string, string>;
}

interface Fixture {
  model: string;
  input: string;
  /** The classes of the batch; null for a map output, trained on sum(signal * output). */
  labels: number[] | null;
  signal: string | null;
  loss: number;
  gradients: Record<string, string>;
  runs: Run[];
}

const manifest: { fixtures: Record<string, Fixture> } = JSON.parse(readFileSync(join(goldenDir, 'manifest.json'), 'utf8'));
const reference = (file: string): Promise<Tensor> => readNpyTensor(join(goldenDir, file));
const report = process.env.TRAINING_GOLDEN_REPORT === '1';

/** Keras's weights of the model, by 'layer/weight', from its tensors or their substitutes. */
function kerasByKey(model: Model, substitute?: Map<Tensor, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [layer, weights] of kerasWeights(model, substitute)) {
    for (const [name, w] of Object.entries(weights)) out.set(`${layer}/${name}`, new Tensor(w.shape, w.data));
  }
  return out;
}

interface Worst {
  /** The largest share of the tolerance any tensor used, and that tensor's numbers. */
  used: number;
  key: string;
  maxDiff: number;
  maxRef: number;
}

/** Compares each reference file with the engine's tensor of the same key. */
async function compareAll(what: string, actual: Map<string, Tensor>, files: Record<string, string>): Promise<Worst> {
  let worst: Worst = { used: 0, key: '', maxDiff: 0, maxRef: 0 };
  for (const [key, file] of Object.entries(files)) {
    const out = actual.get(key);
    assert.ok(out, `${what}: the engine has no weight ${key} (it has ${[...actual.keys()].join(', ')})`);
    const ref = await reference(file);
    const problem = goldenMismatch(out, ref);
    assert.is(problem, null, `${what} ${key}: ${problem}`);
    let maxRef = 0;
    let maxDiff = 0;
    for (let i = 0; i < ref.size; i++) {
      maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
      maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - ref.data[i]));
    }
    const used = maxDiff / (1e-4 * maxRef + 1e-6);
    if (used >= worst.used) worst = { used, key, maxDiff, maxRef };
  }
  return worst;
}

function describe(w: Worst): string {
  if (!w.key) return 'none';
  return `${(w.used * 100).toFixed(1)}% of the tolerance (${w.key}: max|out-ref| ${w.maxDiff.toExponential(2)}, max|ref| ${w.maxRef.toExponential(2)})`;
}

/**
 * A map output (the U-Net), which Trainer refuses: the loss sum(signal * output) of a training
 * forward pass (dropout off) and its gradients by the same backward walk Trainer uses.
 */
function mapOutputGradients(model: Model, x: Tensor, signal: Tensor): { loss: number; gradients: Map<Tensor, Tensor> } {
  const forward = model.run(x, model.outputIndex, true, { random: () => 0, dropout: false }); // no dropout: random unused
  const output = forward.records.get(model.output)!.output;
  let loss = 0;
  for (let i = 0; i < output.size; i++) loss += signal.data[i] * output.data[i];
  return { loss, gradients: backpropagate(model, forward, signal) };
}

function trainerOptions(run: Run): TrainerOptions {
  const { weights: _w, movingAfterStep1: _m, steps: _s, ...options } = run;
  return { ...options, dropout: false };
}

test('the mnist_cnn fixture is the network mnistCnn() trains: the same layers, shapes and weight shapes', async () => {
  const describeLayers = (m: Model) => m.layers.map((l) => [l.name, l.type, l.activation, l.outputShape.join('x'),
    Object.entries(l.weights).map(([k, t]) => `${k}:${t.shape.join('x')}`).join(' ')].join(' '));
  assert.equal(describeLayers(await loadModel(join(root, manifest.fixtures.mnist_cnn.model))), describeLayers(mnistCnn(1)));
});

for (const [name, fx] of Object.entries(manifest.fixtures)) {
  test(`${name}: loss and every weight gradient equal PyTorch autograd's`, async () => {
    const model = await loadModel(join(root, fx.model));
    const x = await reference(fx.input);
    let loss: number;
    let gradients: Map<Tensor, Tensor>;
    if (fx.labels) {
      ({ loss, gradients } = new Trainer(model, { optimizer: 'sgd', learningRate: 0.05, dropout: false }).lossAndGradients(x, Int32Array.from(fx.labels)));
    } else {
      ({ loss, gradients } = mapOutputGradients(model, x, await reference(fx.signal!)));
    }
    assert.ok(Math.abs(loss - fx.loss) <= 1e-4 * Math.abs(fx.loss) + 1e-6, `loss ${loss} vs PyTorch ${fx.loss}`);
    const keras = kerasByKey(model, gradients);
    // exactly Keras's trainable weights: none of a frozen layer's, no moving statistics
    assert.equal([...keras.keys()].sort(), Object.keys(fx.gradients).sort());
    const used = await compareAll('gradient', keras, fx.gradients);
    if (report) console.log(`${name}: loss ${loss} (PyTorch ${fx.loss}); gradients ${describe(used)}`);
  });

  fx.runs.forEach((run, i) => {
    const label = run.optimizer === 'adam' ? `Adam (epsilon ${run.epsilon})` : run.nesterov ? 'SGD nesterov' : 'SGD momentum';
    test(`${name}: two ${label} steps give PyTorch's weights, BN moving statistics after one`, async () => {
      const model = await loadModel(join(root, fx.model));
      const x = await reference(fx.input);
      const y = Int32Array.from(fx.labels!);
      const trainer = new Trainer(model, trainerOptions(run));
      trainer.step(x, y);
      const moving = await compareAll(`${label} step 1`, kerasByKey(model), run.movingAfterStep1);
      for (let s = 1; s < run.steps; s++) trainer.step(x, y);
      const weights = await compareAll(`${label} step ${run.steps}`, kerasByKey(model), run.weights);
      if (report) console.log(`${name} run ${i} (${label}): weights ${describe(weights)}; moving statistics ${describe(moving)}`);
    });
  });
}

test.run();
