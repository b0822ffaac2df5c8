import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Tensor } from '../src/tensor.ts';
import { attribute } from '../src/methods/attribute.ts';
import { buildReport } from '../src/methods/report.ts';
import { topChannels } from '../src/methods/top-channels.ts';

// What the CLI's progress lines are made of (test/cli-run.test.ts draws them): every long method
// reports (done, total) from the start to the end, never backwards.
const root = join(import.meta.dirname, '..');
const model = await loadModel(join(root, 'test', 'fixtures', 'models', 'mnist_model.h5'));
const digits = await readNpyTensor(join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy'));
const digit = new Tensor([1, 28, 28], digits.data.slice(0, 784));

function recorder(): { calls: [number, number][]; report: (done: number, total: number) => void } {
  const calls: [number, number][] = [];
  return { calls, report: (done, total) => calls.push([done, total]) };
}

function assertComplete(what: string, calls: [number, number][]): void {
  assert.ok(calls.length >= 2, `${what}: ${calls.length} progress calls`);
  const total = calls[0][1];
  assert.ok(calls.every(([, t]) => t === total), `${what}: the total changed`);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0], `${what}: progress went back at call ${i}`);
  assert.equal(calls[calls.length - 1], [total, total], `${what}: ends at ${calls[calls.length - 1]}`);
}

test('attribute reports from 0 (occlusion, ablation, Score-CAM) or its first chunk to the end', () => {
  for (const options of [{ method: 'integrated-gradients', steps: 200 }, { method: 'occlusion' }, { method: 'ablation', grid: 4 }, { method: 'scorecam', layer: 'conv2' }] as const) {
    const r = recorder();
    attribute(model, digits, { ...options, onProgress: r.report });
    assertComplete(options.method, r.calls);
  }
});

test('explain (buildReport) and topChannels report every step', () => {
  const report = recorder();
  buildReport(model, digit, { inputName: 'digit', modelName: 'mnist', topK: 2, onProgress: report.report });
  assertComplete('buildReport', report.calls);
  const top = recorder();
  topChannels(model, digit, { layer: 'conv2', k: 3, onProgress: top.report });
  assert.equal(top.calls, [[0, 3], [1, 3], [2, 3], [3, 3]]);
});

test.run();
