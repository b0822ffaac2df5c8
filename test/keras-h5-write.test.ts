import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readKerasH5 } from '../src/io/keras-h5.ts';
import { readKerasZip } from '../src/io/keras-zip.ts';
import { readTfjsLayers } from '../src/io/tfjs-layers.ts';
import type { KerasGraph, KerasModelFile, KerasWeight } from '../src/io/keras-model.ts';
import { kerasWeights } from '../src/model/keras-weights.ts';
import { specFromKeras } from '../src/model/from-keras.ts';
import { Model } from '../src/model/model.ts';
import { Tensor } from '../src/tensor.ts';
import { refused } from './helpers/model-errors.ts';
import { root } from './helpers/cli.ts';

const MODELS = join(root, 'test', 'fixtures', 'models');
const GRAPHS = join(MODELS, 'graphs');

/** The file as its reader gives it (each read its own arrays, apart from the model's). */
async function readIr(path: string): Promise<KerasModelFile> {
  if (!/\.(h5|keras)$/.test(path)) {
    const files = Object.fromEntries(readdirSync(path).map((f) => [f, new Uint8Array(readFileSync(join(path, f)))]));
    return readTfjsLayers(files['model.json'], (p) => files[p]);
  }
  const bytes = new Uint8Array(readFileSync(path));
  return path.endsWith('.keras') ? readKerasZip(bytes) : readKerasH5(bytes);
}

/** Every layer's weights by its path ('outer/inner' in a nested model), as the file holds them. */
function fileWeights(graph: KerasGraph, prefix = '', out = new Map<string, Record<string, KerasWeight>>()): Map<string, Record<string, KerasWeight>> {
  for (const l of graph.layers) {
    if (l.model) fileWeights(l.model, `${prefix}${l.name}/`, out);
    else out.set(prefix + l.name, l.weights);
  }
  return out;
}

// Nested (transfer_*, nested_shared), shared (shared_layer), channels_first, every layer family,
// Keras 3 files and a TensorFlow.js model.
const MAPPED = [
  'graphs/resnet_tiny.h5', 'graphs/resnet_tiny_channels_first.h5', 'graphs/mobilenet_v2_tiny.h5', 'graphs/merges_separable.h5',
  'graphs/unet_tiny.h5', 'graphs/convnext_tiny.h5', 'graphs/activations.h5', 'graphs/inception_tiny.h5', 'graphs/shared_layer.h5',
  'graphs/transfer_functional.h5', 'graphs/transfer_sequential.h5', 'graphs/preprocessing.h5', 'norm_shape_last.h5', 'norm_shape_first.h5',
  'conv_family_channels_first.h5', 'channels_last_model.h5', 'mnist_model.h5', 'keras3/nested_shared.keras', 'keras3/variables_zoo.keras',
  'graphs/convnext_tiny.h5', 'tfjs/channels_last_model', 'graphs/tfjs/shared_layer',
];

// Each engine weight replaced by 2w + 1: an elementwise change, so each Keras weight must come back as 2w + 1 of
// the file's, element for element, whatever rearrangement the converter made (the file's values are distinct).
for (const name of MAPPED) {
  test(`kerasWeights(${name}): each Keras weight in Keras's layout, from the engine's tensors`, async () => {
    const model = await loadModel(join(MODELS, name));
    const expected = fileWeights(await readIr(join(MODELS, name)));
    const substitute = new Map<Tensor, Tensor>();
    for (const l of model.spec.layers) for (const t of Object.values(l.weights)) substitute.set(t, new Tensor(t.shape, t.data.map((v) => 2 * v + 1)));
    const changed = kerasWeights(model, substitute);
    const current = kerasWeights(model);
    let compared = 0;
    for (const [path, weights] of expected) {
      for (const [key, w] of Object.entries(weights)) {
        assert.equal(current.get(path)?.[key]?.shape, w.shape, `${path}/${key} shape`);
        assert.ok(current.get(path)![key].data.every((v, i) => v === w.data[i]), `${path}/${key} as loaded`);
        const got = changed.get(path)?.[key];
        // Normalization's count is no engine tensor: left out of a substitute's map.
        if (key === 'count') {
          assert.is(got, undefined);
          continue;
        }
        assert.ok(got, `${path}/${key} substituted`);
        const bad = got!.data.findIndex((v, i) => v !== Math.fround(2 * w.data[i] + 1));
        assert.is(bad, -1, `${path}/${key} element ${bad}`);
        compared++;
      }
    }
    assert.ok(compared > 0);
  });
}

test('kerasWeights: a shared layer and a nested model\'s layers appear once, by their Keras names', async () => {
  const shared = kerasWeights(await loadModel(join(GRAPHS, 'shared_layer.h5')));
  assert.ok([...shared.keys()].every((k) => !k.includes(':')), [...shared.keys()].join());
  const nested = kerasWeights(await loadModel(join(MODELS, 'keras3', 'nested_shared.keras')));
  assert.ok([...nested.keys()].some((k) => k.includes('/')), [...nested.keys()].join());
});

test('kerasWeights: a layer whose engine weights are not a rearrangement of its Keras weights is refused, by name', async () => {
  // A Normalization layer built with its mean and variance in the config takes them from there,
  // not from its weights: the engine's values are constants, no rearrangement of the weights.
  const file: KerasModelFile = {
    name: 'm', kind: 'Sequential', inputs: [], outputs: [], format: 'keras2-h5', kerasVersion: '2.12.0', backend: 'tensorflow',
    provenance: { source: 'm.h5', kerasVersion: '2.12.0', backend: 'tensorflow', sha256: '' },
    layers: [
      { name: 'norm', className: 'Normalization', calls: [], config: { name: 'norm', axis: -1, mean: [0.5, 0.25], variance: [2, 3], batch_input_shape: [null, 2] },
        weights: { mean: { shape: [2], data: Float32Array.of(1, 2) }, variance: { shape: [2], data: Float32Array.of(3, 4) }, count: { shape: [], data: Float32Array.of(9) } } },
      { name: 'dense', className: 'Dense', calls: [], config: { name: 'dense', units: 1, activation: 'linear' },
        weights: { kernel: { shape: [2, 1], data: Float32Array.of(1, 2) }, bias: { shape: [1], data: Float32Array.of(0) } } },
    ],
  };
  const message = await refused(() => kerasWeights(new Model(specFromKeras(file))), 'E_UNSUPPORTED');
  assert.match(message, "layer 'norm' (Normalization)");
  assert.match(message, 'cannot be written as Keras');
});

test('kerasWeights: a model without a Keras description (a converted folder) is refused in one line', async () => {
  const model = await loadModel(join(GRAPHS, 'resnet_tiny.h5'));
  const { keras: _keras, ...folder } = model.spec;
  const message = await refused(() => kerasWeights({ spec: folder }), 'E_UNSUPPORTED');
  assert.match(message, 'no Keras description');
});

test.run();
