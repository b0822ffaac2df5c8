// Activations and activation layers against PyTorch (test/golden/activations/generate.py): every
// activation's forward and backward rules, and two Keras fixtures through every node and the
// backward nets, on every kernel set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../src/io/npy.ts';
import { Tensor, formatShape } from '../src/tensor.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { KERNEL_SET_NAMES, RELU_RULES } from '../src/runtime/kernel-set.ts';
import { ACTIVATIONS, activationFromKeras, applyActivation, activationBackward, type ActivationName } from '../src/layers/activation-fns.ts';
import { loadModelSpec } from '../src/node/load-model.ts';
import { Model } from '../src/model/model.ts';
import { backwardNet } from '../src/methods/backward-net.ts';
import { occlusion } from '../src/methods/occlusion.ts';
import { convertKerasLayer } from '../src/model/keras-converters.ts';
import { KerasLayer } from '../src/model/keras-layer.ts';
import type { KerasLayerFile } from '../src/io/keras-model.ts';
import type { ModelSpec } from '../src/model/spec.ts';
import { modelFolderFiles, readModelFolder } from '../src/io/model-folder.ts';
import { expectConvscopeError } from './helpers/errors.ts';

const root = join(import.meta.dirname, '..');
const dir = join(root, 'test', 'golden', 'activations');
const load = (file: string): Tensor => {
  const a = parseNpy(readFileSync(join(dir, file)), file);
  return new Tensor(a.shape, a.data as Float32Array);
};

interface Manifest {
  eltwise: Record<'activation' | 'x' | 'y' | 'r' | 'z' | 'salinet' | 'deconvnet' | 'guided', string>[];
  models: Record<string, {
    model: string;
    input: string;
    variants: Record<string, {
      nodes: { name: string; output: string; preActivation?: string }[];
      backward: { node: string; channel: number; unit: 'all' | 'max'; method: 'deconvnet' | 'salinet' | 'guided'; result: string }[];
    }>;
  }>;
}
const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

/** null when out is within SEMANTICS.md's tolerance of ref, else what is wrong. */
function mismatch(out: Tensor, ref: Tensor): string | null {
  if (formatShape(out.shape) !== formatShape(ref.shape)) return `shape ${formatShape(out.shape)}, reference ${formatShape(ref.shape)}`;
  let maxRef = 0;
  let worst = 0;
  let at = 0;
  for (let i = 0; i < ref.size; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
    const d = Math.abs(out.data[i] - ref.data[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  return worst <= 1e-4 * maxRef + 1e-6 ? null : `max|out-ref| ${worst} at [${at}] (out ${out.data[at]}, ref ${ref.data[at]}; max|ref| ${maxRef})`;
}

test('the golden set covers every activation but linear and softmax', () => {
  const covered = manifest.eltwise.map((c) => c.activation).sort();
  assert.equal(covered, ACTIVATIONS.filter((a) => a !== 'linear' && a !== 'softmax').sort());
});

for (const c of manifest.eltwise) {
  const name = c.activation as ActivationName;
  for (const set of KERNEL_SET_NAMES) {
    test(`${name}: forward and the three backward rules match PyTorch [${set}]`, () => {
      withKernels(set, () => {
        assert.is(mismatch(applyActivation(name, load(c.x)), load(c.y)), null, `${name} forward`);
        const z = load(c.z);
        const a = applyActivation(name, z);
        for (const rule of RELU_RULES) {
          assert.is(mismatch(activationBackward(name, rule, load(c.r), z, a), load(c[rule])), null, `${name} backward (${rule})`);
        }
      });
    });
  }
}

/** The spec a variant runs: the Keras 2 file's, with the activations a Keras 2 file cannot name. */
function variantSpec(spec: ModelSpec, variant: string): ModelSpec {
  if (variant === 'keras2') return spec;
  const swap: Record<string, ActivationName> = { hard_sigmoid_keras2: 'hard_sigmoid_keras3', gelu: 'gelu_tanh' };
  return { ...spec, layers: spec.layers.map((l) => ({ ...l, activation: swap[l.activation] ?? l.activation })) };
}

for (const [name, golden] of Object.entries(manifest.models)) {
  for (const [variant, v] of Object.entries(golden.variants)) {
    for (const set of KERNEL_SET_NAMES) {
      test(`${name} (${variant}): every node and the backward nets from ${new Set(v.backward.map((b) => b.node)).size} nodes match PyTorch [${set}]`, async () => {
        const model = new Model(variantSpec(await loadModelSpec(join(root, golden.model)), variant));
        const input = load(golden.input);
        withKernels(set, () => {
          const forward = model.forward(input);
          for (const node of v.nodes) {
            const record = forward.records.get(node.name)!;
            assert.is(mismatch(record.output, load(node.output)), null, `${node.name} output`);
            if (node.preActivation) assert.is(mismatch(record.z, load(node.preActivation)), null, `${node.name} pre-activation`);
          }
          for (const b of v.backward) {
            const r = backwardNet(model, input, { layer: b.node, channel: b.channel, unit: b.unit, method: b.method });
            assert.is(mismatch(r, load(b.result)), null, `${b.method} from ${b.node} channel ${b.channel} (${b.unit})`);
          }
        });
      });
    }
  }
}

test('the activation fixtures write to the folder format and load back identical', async () => {
  for (const golden of Object.values(manifest.models)) {
    const spec = await loadModelSpec(join(root, golden.model));
    const [a, b] = [new Model(spec), new Model(readModelFolder(modelFolderFiles(spec)))];
    const input = load(golden.input);
    const [fa, fb] = [a.forward(input), b.forward(input)];
    for (const layer of a.layers) assert.equal(fb.records.get(layer.name)!.output.data, fa.records.get(layer.name)!.output.data, layer.name);
  }
});

test('occlusion through the activation layers: incremental equals batched', async () => {
  for (const golden of Object.values(manifest.models)) {
    const model = new Model(await loadModelSpec(join(root, golden.model)));
    const input = load(golden.input);
    const sample = new Tensor(input.shape.slice(1), input.data.slice(0, input.size / input.shape[0]));
    const run = (strategy: 'incremental' | 'batched') => occlusion(model, sample, { size: 2, stride: 1, strategy }).grid;
    assert.equal(run('incremental').data, run('batched').data, golden.model);
  }
});

// ---- Keras names and configs -------------------------------------------------------------

test("Keras's activation names: hard_sigmoid by the file's Keras version, the aliases of swish and hard_swish", () => {
  assert.is(activationFromKeras('hard_sigmoid', 2), 'hard_sigmoid_keras2');
  assert.is(activationFromKeras('hard_sigmoid', 3), 'hard_sigmoid_keras3');
  assert.is(activationFromKeras('hardSigmoid', 2), 'hard_sigmoid_keras2');
  assert.is(activationFromKeras('silu', 3), 'swish');
  assert.is(activationFromKeras('swish', 2), 'swish');
  assert.is(activationFromKeras('hard_silu', 3), 'hard_swish');
  assert.is(activationFromKeras('gelu', 3), 'gelu'); // keras.activations.gelu: approximate=False
  for (const engineOnly of ['hard_sigmoid_keras3', 'gelu_tanh', 'mish']) assert.is(activationFromKeras(engineOnly, 3), undefined, engineOnly);
});

function kerasLayer(className: string, config: Record<string, unknown>, major: 2 | 3 = 2, weights: KerasLayerFile['weights'] = {}): KerasLayer {
  return new KerasLayer({ name: 'l', className, config: { name: 'l', ...config }, weights, calls: [] }, 'channels_last', major);
}

test('an Activation layer with hard_sigmoid converts by the Keras version of its file', () => {
  assert.is(convertKerasLayer(kerasLayer('Activation', { activation: 'hard_sigmoid' }, 2), [[4, 3, 3]]).activation, 'hard_sigmoid_keras2');
  assert.is(convertKerasLayer(kerasLayer('Activation', { activation: 'hard_sigmoid' }, 3), [[4, 3, 3]]).activation, 'hard_sigmoid_keras3');
  assert.is(convertKerasLayer(kerasLayer('Conv2D', { activation: 'hard_silu', filters: 1, kernel_size: [1, 1], padding: 'valid' }, 3, {
    kernel: { shape: [1, 1, 4, 1], data: new Float32Array(4) }, bias: { shape: [1], data: new Float32Array(1) },
  }), [[4, 3, 3]]).activation, 'hard_swish');
});

test('LeakyReLU reads alpha (Keras 2) or negative_slope (Keras 3), default 0.3; ReLU, ELU, ThresholdedReLU their defaults', () => {
  const params = (cls: string, config: Record<string, unknown>, major: 2 | 3 = 2) => convertKerasLayer(kerasLayer(cls, config, major), [[4, 3, 3]]).params;
  assert.equal(params('LeakyReLU', { alpha: 0.1 }), { negativeSlope: 0.1 });
  assert.equal(params('LeakyReLU', { negative_slope: 0.25 }, 3), { negativeSlope: 0.25 });
  assert.equal(params('LeakyReLU', {}), { negativeSlope: 0.3 });
  assert.equal(params('ReLU', { max_value: null, negative_slope: 0, threshold: 0 }), { negativeSlope: 0, maxValue: null, threshold: 0 });
  assert.equal(params('ReLU', {}), { negativeSlope: 0, maxValue: null, threshold: 0 });
  assert.equal(params('ELU', {}), { alpha: 1 });
  assert.equal(params('ThresholdedReLU', {}), { theta: 1 });
  assert.equal(params('Softmax', { axis: -1 }), { axis: 0 }); // channels_last: Keras's last axis is the channels
  assert.equal(params('Softmax', { axis: 2 }), { axis: 2 });
});

test('a ReLU with the defaults or max_value 6 runs as the relu and relu6 activations (their kernels)', () => {
  const spec = (params: Record<string, number | null>) => ({
    name: 'm', dataFormat: 'channels_first' as const, inputShape: [2, 3, 3], provenance: { source: 'test' },
    layers: [{ name: 'r', type: 'ReLU' as const, activation: 'linear' as const, params, weights: {} }],
  });
  assert.is(new Model(spec({ negativeSlope: 0, maxValue: null, threshold: 0 })).layers[0].activation, 'relu');
  assert.is(new Model(spec({ negativeSlope: 0, maxValue: 6, threshold: 0 })).layers[0].activation, 'relu6');
  assert.is(new Model(spec({ negativeSlope: 0, maxValue: 6, threshold: 1 })).layers[0].activation, 'linear');
});

test('refusals: an unknown activation names the supported ones, a PReLU alpha that does not fit, a negative ReLU threshold, a softmax over two axes', async () => {
  await expectConvscopeError(() => kerasLayer('Activation', { activation: 'mish' }).activation(), 'E_UNSUPPORTED',
    "layer 'l' (Activation): activation 'mish' is not supported; supported activations: linear, relu, sigmoid, tanh, softmax, relu6, swish, silu");
  const alpha = { alpha: { shape: [3, 3, 5], data: new Float32Array(45) } };
  await expectConvscopeError(() => convertKerasLayer(kerasLayer('PReLU', { shared_axes: null }, 2, alpha), [[4, 3, 3]]), 'E_FORMAT',
    "layer 'l' (PReLU): alpha has shape [3, 3, 5], which does not fit its input [3, 3, 4]");
  await expectConvscopeError(() => convertKerasLayer(kerasLayer('ReLU', { threshold: -1 }), [[4, 3, 3]]), 'E_FORMAT',
    "layer 'l' (ReLU): config.threshold: expected a number of at least 0, got -1");
  await expectConvscopeError(() => convertKerasLayer(kerasLayer('Softmax', { axis: [1, 2] }, 3), [[4, 3, 3]]), 'E_UNSUPPORTED',
    "layer 'l' (Softmax): a softmax over several axes ([1, 2]) is not supported; one axis is");
});

test('PReLU alpha (H, W, C) of a channels_last model becomes (C, H, W)', () => {
  const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i); // (H 2, W 3, C 4): value = (h*3 + w)*4 + c
  const spec = convertKerasLayer(kerasLayer('PReLU', { shared_axes: null }, 2, { alpha: { shape: [2, 3, 4], data } }), [[4, 2, 3]]);
  const a = spec.weights.alpha;
  assert.equal(a.shape, [4, 2, 3]);
  assert.is(a.data[(3 * 2 + 1) * 3 + 2], (1 * 3 + 2) * 4 + 3); // c 3, h 1, w 2
});

test.run();
