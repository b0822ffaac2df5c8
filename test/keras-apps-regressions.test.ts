import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, strToU8 } from 'fflate';
import { loadModel } from '../src/node/load-model.ts';
import { backwardNet } from '../src/methods/backward-net.ts';
import { Tensor } from '../src/tensor.ts';
import { root } from './helpers/cli.ts';
import { editKeras } from './helpers/keras-zip-edit.ts';
import { refused } from './helpers/model-errors.ts';

// What real keras.applications files (scripts/keras-apps/check.ts) needed, each as the smallest
// model Keras 3 writes the same way (test/fixtures/models/keras-apps/make.py), checked against
// Keras's own output for every layer and operation.
const dir = join(root, 'test', 'fixtures', 'models', 'keras-apps');
const reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as {
  keras_version: string;
  models: Record<string, { input_shape: number[]; input: number[]; outputs: Record<string, { shape: number[]; values: number[] }> }>;
};

/** Keras's (H, W, C) as the engine's (C, H, W); anything else as it is. */
function channelsFirst(values: number[], shape: number[]): { shape: number[]; data: Float32Array } {
  if (shape.length !== 3) return { shape, data: Float32Array.from(values) };
  const [h, w, c] = shape;
  const data = new Float32Array(values.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(k * h + y) * w + x] = values[(y * w + x) * c + k];
  return { shape: [c, h, w], data };
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.is(actual.length, expected.length, `${what}: size`);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
    maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(maxErr <= 1e-4 * maxRef + 1e-6, `${what}: max error ${maxErr} (max |ref| ${maxRef})`);
}

for (const [name, ref] of Object.entries(reference.models)) {
  for (const file of [`${name}.keras`, `${name}.h5`]) {
    test(`${file}: every layer and operation equals Keras ${reference.keras_version}'s, shape included`, async () => {
      const model = await loadModel(join(dir, file));
      const input = channelsFirst(ref.input, ref.input_shape);
      const records = model.forward(new Tensor(input.shape, input.data)).records;
      assert.equal(model.layerNames(), Object.keys(ref.outputs), 'one node per layer and operation, named as in Keras');
      for (const [node, out] of Object.entries(ref.outputs)) {
        const expected = channelsFirst(out.values, out.shape);
        const actual = records.get(node)!.output;
        assert.equal(actual.shape.slice(1), expected.shape, `${file} ${node}: shape`);
        assertClose(actual.data, expected.data, `${file} ${node}`);
      }
    });
  }
}

test("se_keepdims: a (C, 1, 1) pooling is a map, so the backward nets and Grad-CAM's default can start there", async () => {
  const model = await loadModel(join(dir, 'se_keepdims.keras'));
  assert.equal([...model.layer('squeeze').outputShape], [8, 1, 1]);
  assert.equal([...model.layer('pool').outputShape], [8]);
  const x = Tensor.zeros(model.inputShape);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.cos(i * 0.7);
  const r = backwardNet(model, x, { layer: 'excite', method: 'salinet', channel: 2 });
  assert.equal([...r.shape], [...model.inputShape]);
  assert.ok(r.data.some((v) => v !== 0) && r.data.every(Number.isFinite));
});

test('ops_hard_sigmoid: an operation on a tensor and a number is a Rescaling node (x*scale + offset), on two tensors a merge node', async () => {
  const model = await loadModel(join(dir, 'ops_hard_sigmoid.keras'));
  const params = (n: string) => model.spec.layers.find((l) => l.name === n)!;
  assert.equal([params('add').type, params('multiply').type, params('subtract').type, params('true_divide').type], ['Rescaling', 'Rescaling', 'Rescaling', 'Rescaling']);
  for (const n of ['add', 'multiply', 'subtract', 'true_divide']) assert.equal(Object.keys(params(n).weights), [], n);
  assert.equal([params('subtract_1').type, params('subtract_1').inputs], ['Subtract', ['sum', 'relu']], 'two tensors: the merge layer');
});

test('a keras.ops operation that is not x*scale + offset is refused, naming the layer and the operation', async () => {
  const source = join(dir, 'ops_hard_sigmoid.keras');
  const bytes = editKeras(source, (m) => {
    m['config.json'] = strToU8(strFromU8(m['config.json']).replace('"class_name": "Add", "config": {"name": "add"}', '"class_name": "Power", "config": {"name": "add"}'));
  });
  const message = await refused(() => loadModel(bytes), 'E_UNSUPPORTED');
  assert.match(message, "layer 'add' is the Keras operation keras.src.ops.numpy.Power");
});

test.run();
