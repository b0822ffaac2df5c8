import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy, readNpy, readNpyTensor } from '../src/node/inputs.ts';
import { cli, root } from './helpers/cli.ts';
import { mnistDigits } from './helpers/mnist-digits.ts';

test('convscope predict on all 10,000 MNIST digits as one batch gives PyTorch\'s class for every digit', async () => {
  const { images, labels } = mnistDigits();
  assert.is(images.shape[0], 10000);
  const dir = mkdtempSync(join(tmpdir(), 'convscope-mnist-'));
  const batch = join(dir, 'digits.npy');
  const out = join(dir, 'predictions.npy');
  await writeNpy(batch, images);
  const started = performance.now();
  const r = cli(['predict', batch, '--out', out]);
  const seconds = (performance.now() - started) / 1000;
  assert.is(r.status, 0, r.stderr);
  const y = await readNpyTensor(out);
  assert.equal(y.shape, [10000, 10]);
  const torch = (await readNpy(join(root, 'test', 'golden', 'models', 'mnist_10k_pytorch_classes.npy'))).data;
  let same = 0;
  let correct = 0;
  for (let i = 0; i < 10000; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (y.data[i * 10 + k] > y.data[i * 10 + best]) best = k;
    if (best === Number(torch[i])) same++;
    if (best === labels[i]) correct++;
  }
  console.log(`  mnist 10k: ${same}/10000 same class as PyTorch, accuracy ${(correct / 100).toFixed(2)}%, convscope predict took ${seconds.toFixed(2)} s (whole CLI run)`);
  assert.is(same, 10000);
});

test.run();
