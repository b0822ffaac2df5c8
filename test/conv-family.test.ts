// DepthwiseConv2D, SeparableConv2D and Conv2DTranspose in Keras models (both data formats):
// every node's output and the DeconvNet/SaliNet/DeSaliNet projections from each of them against
// PyTorch (test/golden/conv-family/generate.py), on every kernel set; the model folder round
// trip; and the one-line refusals of configs the engine cannot run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Tensor, formatShape } from '../src/tensor.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import { backwardNet, type BackwardMethod } from '../src/methods/backward-net.ts';
import { modelFolderFiles, readModelFolder } from '../src/io/model-folder.ts';
import { Model } from '../src/model/model.ts';
import { buildLayer } from '../src/model/build.ts';
import { deconvOutputLength } from '../src/layers/conv2d-transpose.ts';
import { ConvscopeError } from '../src/errors.ts';
import { editConfig } from './helpers/h5-edit.ts';
import { goldenMismatch } from './helpers/tolerance.ts';

const root = join(import.meta.dirname, '..');
const goldenDir = join(root, 'test', 'golden', 'conv-family');
const MODELS = ['conv_family_channels_last', 'conv_family_channels_first'];

interface Manifest {
  model: string;
  input: string;
  classes: number[];
  nodes: { name: string; output: string; preActivation?: string }[];
  projections: { layer: string; channel: number; unit: 'all' | 'max'; method: BackwardMethod; file: string }[];
}


const unbatch = (t: Tensor): Tensor => new Tensor(t.shape.slice(1), t.data);

for (const name of MODELS) {
  const dir = join(goldenDir, name);
  const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const ref = (file: string) => readNpyTensor(join(dir, file));

  for (const set of KERNEL_SET_NAMES) {
    test(`${name}: every node matches PyTorch [${set}]`, async () => {
      const model = await loadModel(join(root, manifest.model));
      const input = await ref(manifest.input);
      const result = withKernels(set, () => model.forward(input));
      for (const node of manifest.nodes) {
        const record = result.records.get(node.name);
        assert.ok(record, `node ${node.name} missing from the forward record`);
        assert.is(goldenMismatch(unbatch(record.output), await ref(node.output)), null, `${node.name} output`);
        if (node.preActivation) assert.is(goldenMismatch(unbatch(record.z), await ref(node.preActivation)), null, `${node.name} pre-activation`);
      }
      assert.is(manifest.nodes.length, model.layers.length);
      assert.is(model.predict(input).data.indexOf(Math.max(...model.predict(input).data)), manifest.classes[0]);
    });

    test(`${name}: DeconvNet, SaliNet (= autograd) and DeSaliNet from every conv family node match PyTorch [${set}]`, async () => {
      const model = await loadModel(join(root, manifest.model));
      const input = await ref(manifest.input);
      for (const p of manifest.projections) {
        const r = withKernels(set, () => backwardNet(model, input, { layer: p.layer, channel: p.channel, unit: p.unit, method: p.method }));
        const problem = goldenMismatch(r, await ref(p.file));
        assert.is(problem, null, `${p.method} from ${p.layer} channel ${p.channel} unit ${p.unit}: ${problem}`);
      }
    });
  }

  test(`${name}: the model folder format keeps the conv family layers`, async () => {
    const model = await loadModel(join(root, manifest.model));
    const again = new Model(readModelFolder(modelFolderFiles(model.spec)));
    const input = await ref(manifest.input);
    assert.equal(Array.from(again.predict(input).data), Array.from(model.predict(input).data));
  });
}

// The same models as Keras 3 saves them (test/fixtures/models/to_keras3.py): a .keras archive and
// a legacy .h5, against the same PyTorch references.
for (const name of MODELS) {
  const dir = join(goldenDir, name);
  const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  for (const file of [`${name}.keras`, `${name}.k3.h5`]) {
    test(`${file} (Keras 3): every node and DeconvNet/SaliNet/DeSaliNet from the conv family nodes match PyTorch`, async () => {
      const model = await loadModel(join(root, 'test/fixtures/models/keras3', file));
      const input = await readNpyTensor(join(dir, manifest.input));
      const result = model.forward(input);
      for (const node of manifest.nodes) {
        assert.is(goldenMismatch(unbatch(result.records.get(node.name)!.output), await readNpyTensor(join(dir, node.output))), null, `${node.name} output`);
      }
      for (const p of manifest.projections.filter((q) => q.unit === 'all')) {
        const r = backwardNet(model, input, { layer: p.layer, channel: p.channel, unit: p.unit, method: p.method });
        assert.is(goldenMismatch(r, await readNpyTensor(join(dir, p.file))), null, `${p.method} from ${p.layer}`);
      }
    });
  }
}

test("deconvOutputLength is Keras's deconv_output_length", () => {
  assert.is(deconvOutputLength(4, 3, 'same', null, 2, 1), 8);
  assert.is(deconvOutputLength(4, 3, 'valid', null, 2, 1), 9);
  assert.is(deconvOutputLength(4, 1, 'valid', null, 3, 1), 12); // stride past the kernel: max(k - s, 0)
  assert.is(deconvOutputLength(4, 3, 'same', 1, 2, 1), 8);
  assert.is(deconvOutputLength(4, 3, 'valid', 1, 2, 1), 10);
  assert.is(deconvOutputLength(5, 3, 'same', null, 1, 2), 5);
});

async function refusal(mutate: (layers: any[]) => void): Promise<string> {
  const bytes = await editConfig(join(root, 'test/fixtures/models/conv_family_channels_last.h5'), (c) => mutate(c.config.layers));
  try {
    await loadModel(bytes, { name: 'edited.h5' });
  } catch (e) {
    assert.ok(e instanceof ConvscopeError, String(e));
    assert.not.match(e.message, /\n/);
    return e.message;
  }
  throw new Error('the edited model loaded');
}

const layerConfig = (layers: any[], name: string) => layers.find((l) => l.config.name === name).config;

test('a depth_multiplier that disagrees with the kernel is refused in one line', async () => {
  const message = await refusal((layers) => (layerConfig(layers, 'block_1_depthwise').depth_multiplier = 3));
  assert.match(message, /layer 'block_1_depthwise' \(DepthwiseConv2D\): depthwise_kernel has shape \[3, 3, 8, 2\] but the layer has depth_multiplier 3/);
});

test('an output_padding not smaller than the stride is refused in one line', async () => {
  const message = await refusal((layers) => (layerConfig(layers, 'conv2d_transpose_1').output_padding = [2, 0]));
  assert.match(message, /layer 'conv2d_transpose_1' \(Conv2DTranspose\): output_padding \[2, 0\] does not fit strides \[2, 1\] and padding valid; each must be smaller than its stride/);
});

test('a transposed conv with dilation and strides is refused as unsupported', async () => {
  const message = await refusal((layers) => (layerConfig(layers, 'conv2d_transpose').dilation_rate = [2, 2]));
  assert.match(message, /layer 'conv2d_transpose' \(Conv2DTranspose\): dilation \[2, 2\] with strides \[2, 2\] is not supported/);
});

test('a spec whose depthwise kernel does not fit its input is refused', () => {
  const spec = { name: 'dw', type: 'DepthwiseConv2D' as const, activation: 'linear' as const, params: { strides: [1, 1], dilation: [1, 1], padding: 'same' }, weights: { kernel: Tensor.zeros([5, 1, 3, 3]) } };
  assert.throws(() => buildLayer(spec, [[2, 4, 4]]), (e: unknown) => e instanceof ConvscopeError && /its 5 filters are not a multiple of the 2 input channels/.test(e.message));
});

test.run();
