import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { maximize } from '../src/methods/maximize.ts';
import { mnistDigits } from './helpers/mnist-digits.ts';
import { root } from './helpers/cli.ts';

const model = await loadModel(join(root, 'weights', 'mnist-cnn'));
const { images } = mnistDigits();

/** The highest mean activation of a channel that any of the 10,000 real digits reaches. */
function bestRealDigit(layer: string, channel: number): number {
  const a = model.predict(images, layer);
  const per = a.size / images.shape[0];
  const plane = per / a.shape[1];
  let best = -Infinity;
  for (let n = 0; n < images.shape[0]; n++) {
    let s = 0;
    for (let i = 0; i < plane; i++) s += a.data[n * per + channel * plane + i];
    best = Math.max(best, s / plane);
  }
  return best;
}

for (const [layer, channel] of [['conv2', 5], ['conv2', 17], ['conv2', 30], ['dense1', 0], ['dense1', 64]] as const) {
  test(`maximize ${layer} channel ${channel} beats every real MNIST digit`, () => {
    const best = bestRealDigit(layer, channel);
    const { image, objective } = maximize(model, { layer, channel, seed: 1 });
    assert.ok(objective > best, `maximised ${objective} <= best real digit ${best}`);
    assert.ok(image.data.every((v) => v >= 0 && v <= 255), 'image left the 0..255 range');
  });
}

test('maximize: same seed, same picture; another seed, another', () => {
  const a = maximize(model, { layer: 'conv1', channel: 2, seed: 4, iterations: 30 });
  const b = maximize(model, { layer: 'conv1', channel: 2, seed: 4, iterations: 30 });
  const c = maximize(model, { layer: 'conv1', channel: 2, seed: 5, iterations: 30 });
  assert.equal(Array.from(a.image.data), Array.from(b.image.data));
  assert.not.equal(Array.from(a.image.data), Array.from(c.image.data));
});

test('maximize: a channel out of range names the valid ones', () => {
  assert.throws(() => maximize(model, { layer: 'conv2', channel: 32 }), /channel 32 is out of range: layer 'conv2' has 32 channels \(0\.\.31\)/);
});

test.run();
