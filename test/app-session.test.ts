// The app's worker state (src/app/session.ts) and helpers, run in Node: what the page shows is
// what the library computes for the same input, the drawing is centred as MNIST's digits are,
// and the graph view gives a branch a lane of its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Session } from '../src/app/session.ts';
import { mnistDigit } from '../src/app/digit.ts';
import { lanes } from '../src/app/ui/graph-view.ts';
import { loadShippedModel, readModelInput, loadModel } from '../src/node.ts';
import { backwardNet } from '../src/methods/backward-net.ts';
import { occlusion } from '../src/methods/occlusion.ts';
import { gradCam } from '../src/methods/grad-cam.ts';

const ROOT = join(import.meta.dirname, '..');

async function shippedSession() {
  const model = await loadShippedModel();
  const x = await readModelInput(join(ROOT, 'examples', 'digit-7.png'), model.inputShape);
  return { session: new Session(model), model, x };
}

test('the prediction and maps are the model\'s own, and its strongest channels come first', async () => {
  const { session, model, x } = await shippedSession();
  const prediction = session.setInput(x);
  assert.equal(prediction.probabilities, Array.from(model.predict(x).data));
  assert.is(prediction.probabilities.indexOf(Math.max(...prediction.probabilities)), 7);
  assert.equal([prediction.input.width, prediction.input.height], [28, 28]);
  const maps = session.maps('conv2');
  const a = model.forward(x).records.get('conv2')!.output;
  assert.equal(Array.from(maps.data), Array.from(a.data));
  assert.is(maps.tiles.length, maps.shape[0]);
  const peaks = maps.ranges.map((r) => r[1]);
  for (let i = 1; i < maps.strongest.length; i++) assert.ok(peaks[maps.strongest[i - 1]] >= peaks[maps.strongest[i]]);
});

test('reconstructions, occlusion and Grad-CAM equal the library\'s calls', async () => {
  const { session, model, x } = await shippedSession();
  session.setInput(x);
  for (const r of session.backward('conv2', 22, 'max')) {
    const ref = backwardNet(model, x, { layer: 'conv2', channel: 22, unit: 'max', method: r.method });
    assert.equal(r.shape, [...ref.shape]);
    assert.equal(Array.from(r.data), Array.from(ref.data), r.method);
  }
  let calls = 0;
  const occ = session.occlusion({ size: 7, stride: 3, fill: 0 }, () => calls++);
  assert.equal(Array.from(occ.grid.data), Array.from(occlusion(model, x, { size: 7, stride: 3, fill: 0 }).grid.data));
  assert.ok(calls > 0, 'progress is reported');
  const cam = session.gradCam('conv2', 3);
  assert.equal(Array.from(cam.cam.data), Array.from(gradCam(model, x, { layer: 'conv2', target: 3 }).cam.data));
  assert.is(cam.target, 3);
});

test('maximisation shows the image as it forms, and no input yet is one clear error', async () => {
  const model = await loadShippedModel();
  const session = new Session(model);
  assert.throws(() => session.maps('conv1'), /no input yet/);
  const steps: number[] = [];
  const result = session.maximize('conv2', 1, 20, [0, 255], 5, (done, _total, image) => {
    steps.push(done);
    assert.equal([image.width, image.height], [28, 28]);
  });
  assert.equal(steps, [5, 10, 15, 20]);
  assert.ok(result.objective > result.history[0], 'the activation grew');
});

test('a drawing is scaled into a 20x20 box and centred by its mass, as MNIST digits are', () => {
  const width = 280;
  const height = 280;
  const data = new Uint8ClampedArray(width * height * 4);
  // a 40x100 bar in the top-left corner
  for (let y = 10; y < 110; y++) for (let x = 20; x < 60; x++) data.fill(255, 4 * (y * width + x), 4 * (y * width + x) + 3);
  const digit = mnistDigit({ data, width, height });
  let mass = 0;
  let my = 0;
  let mx = 0;
  let rows = 0;
  for (let y = 0; y < 28; y++) {
    let any = false;
    for (let x = 0; x < 28; x++) {
      const v = digit[y * 28 + x];
      mass += v;
      my += v * (y + 0.5);
      mx += v * (x + 0.5);
      any ||= v > 0;
    }
    rows += any ? 1 : 0;
  }
  assert.is(rows, 20, 'the longer side fills 20 rows');
  assert.ok(Math.abs(my / mass - 14) <= 0.5 && Math.abs(mx / mass - 14) <= 0.5, `centre of mass ${my / mass}, ${mx / mass}`);
  assert.ok(mnistDigit({ data: new Uint8ClampedArray(width * height * 4), width, height }).every((v) => v === 0), 'an empty pad is all zeros');
});

test('the graph view keeps a chain in one lane and gives a shortcut its own', async () => {
  const model = await loadShippedModel();
  assert.ok(lanes(new Session(model).info().nodes).every((lane) => lane === 0));
  const resnet = await loadModel(join(ROOT, 'test', 'fixtures', 'models', 'graphs', 'resnet_tiny.h5'));
  const nodes = new Session(resnet).info().nodes;
  const lane = lanes(nodes);
  const add = nodes.findIndex((n) => n.type === 'Add');
  assert.ok(add > 0);
  assert.is.not(lane[nodes[add].inputs[0]], lane[nodes[add].inputs[1]], 'the two paths into the Add run in different lanes');
});

test.run();
