/**
 * Writes a model as a Keras 2 `.h5` file, in the layout tf.keras 2's `model.save('x.h5')` writes
 * (keras/saving/legacy/hdf5_format.py; Keras 3 reads it with keras/src/legacy/saving/
 * legacy_h5_format.py): root attributes keras_version, backend and model_config (the
 * architecture as JSON: Sequential, or Functional with each layer's inbound_nodes), and
 * model_weights/ with layer_names and, per layer, weight_names ('conv1/kernel:0', trainable
 * ones first) and the datasets at those names. A nested model's group holds the weights of all
 * its layers. No training_config: the file is uncompiled.
 */
import type { Group } from 'h5wasm';
import { ConvscopeError } from '../errors.ts';
import { kerasLayerWeights } from '../model/keras-weights.ts';
import type { ModelSpec } from '../model/spec.ts';
import { buildH5File, isGroup } from './h5-file.ts';
import { halfPixelResize, type KerasGraph, type KerasLayerFile, type KerasModelFile, type KerasTensorRef, type KerasWeight } from './keras-model.ts';
import { kerasWeightNames } from './keras-weight-names.ts';
import { kerasLayerOrder } from './keras-layer-order.ts';

/** What a file names as its Keras when the model's source names no Keras 2 (sequential, a tfjs-layers model). */
const KERAS_VERSION = '2.15.0';

/** Weights that Keras creates with trainable=False (each class's others are trainable). */
const NON_TRAINABLE: Record<string, string[]> = {
  BatchNormalization: ['moving_mean', 'moving_variance'],
  Normalization: ['mean', 'variance', 'count'],
};

/**
 * The model (one loaded from a Keras 2 `.h5`, a TensorFlow.js model, or built by `sequential`)
 * as the bytes of a Keras 2 `.h5` file, with its current weights. convscope reads it back to the
 * same predictions; Keras's own loader (tf.keras 2, Keras 3's legacy loader) reads it too.
 *
 *   const model = sequential([...], { inputShape: [28, 28, 1] });
 *   train(model, data);
 *   writeFileSync('trained.h5', await writeKerasH5(model));
 */
export async function writeKerasH5(model: { spec: ModelSpec }): Promise<Uint8Array> {
  const spec = model.spec;
  if (spec.keras?.format === 'keras3-h5' || spec.keras?.format === 'keras3-zip') {
    throw new ConvscopeError('E_UNSUPPORTED', `model '${spec.name}' was read from a Keras 3 file, whose config is Keras 3's, not Keras 2's; convscope writes Keras 2 .h5 files of models read from Keras 2 .h5 files or TensorFlow.js models, or built with sequential`);
  }
  // kerasLayerWeights refuses a spec without a Keras description, and a layer it cannot map back.
  const weights = new Map(kerasLayerWeights(spec).map((l) => [l.layer, l.weights]));
  const keras = spec.keras!;
  const version = /^2\./.test(keras.kerasVersion) ? keras.kerasVersion : KERAS_VERSION;
  checkResizeKept(keras, version);
  const config = JSON.stringify({ class_name: keras.kind, config: graphConfig(keras) });
  const listed = kerasLayerOrder(keras).filter((l) => !(keras.kind === 'Sequential' && l.className === 'InputLayer'));
  return buildH5File((h5) => {
    h5.create_attribute('keras_version', version);
    h5.create_attribute('backend', 'tensorflow');
    h5.create_attribute('model_config', config);
    const root = h5.create_group('model_weights');
    root.create_attribute('layer_names', listed.map((l) => l.name));
    root.create_attribute('backend', 'tensorflow');
    root.create_attribute('keras_version', version);
    for (const layer of listed) writeLayer(group(root, layer.name), layer, weights);
  }, `model '${spec.name}'`);
}

/**
 * The group at `path` under `parent`, made with any missing group on the way, as h5py makes
 * them: keras.applications names layers 'Conv/BatchNorm', a group inside layer 'Conv''s.
 */
function group(parent: Group, path: string): Group {
  let at = parent;
  for (const part of path.split('/')) {
    const found = at.get(part);
    at = isGroup(found) ? found : at.create_group(part);
  }
  return at;
}

/**
 * A bilinear UpSampling2D computes with half-pixel centres or without by the file's Keras
 * version (io/keras-model.ts halfPixelResize): the written version must keep the model's.
 */
function checkResizeKept(file: KerasModelFile, version: string): void {
  const bilinear = leaves(file).find((l) => l.className === 'UpSampling2D' && l.config.interpolation === 'bilinear');
  if (bilinear && halfPixelResize(file) !== halfPixelResize({ format: 'keras2-h5', kerasVersion: version })) {
    throw new ConvscopeError(
      'E_UNSUPPORTED',
      `layer '${bilinear.name}' (UpSampling2D, bilinear) resizes without half-pixel centres, as ${file.format === 'tfjs-layers' ? 'TensorFlow.js does' : `Keras ${file.kerasVersion} did`}; Keras ${version} would resize with them, so the model cannot be written as a Keras ${version} .h5 with the same predictions`,
    );
  }
}

/**
 * A Sequential or Functional config as tf.keras 2 writes it, nested models included, the layers
 * in the source's order (convscope's node order follows it); a Sequential's InputLayer first
 * (Keras 2.2 put the input shape on the first layer, which Keras 3 misreads).
 */
function graphConfig(graph: KerasGraph): Record<string, unknown> {
  const ref = (r: KerasTensorRef) => [r.layer, r.node, r.tensor];
  if (graph.kind === 'Sequential') {
    const layers = graph.layers.map((l) => ({ class_name: className(l), config: layerConfig(l) }));
    const first = layers[0]?.config;
    if (first && layers[0].class_name !== 'InputLayer' && first.batch_input_shape !== undefined && !graph.layers[0].model) {
      const { batch_input_shape: shape, ...rest } = first;
      const name = `${String(first.name)}_input`;
      layers.splice(0, 1, { class_name: 'InputLayer', config: { batch_input_shape: shape, dtype: first.dtype ?? 'float32', sparse: false, ragged: false, name } }, { class_name: layers[0].class_name, config: rest });
    }
    return { name: graph.name, layers };
  }
  return {
    name: graph.name,
    layers: graph.layers.map((l) => ({
      class_name: className(l), config: layerConfig(l), name: l.name,
      inbound_nodes: l.calls.map((call) => call.map((r) => [...ref(r), {}])),
    })),
    input_layers: graph.inputs.map(ref),
    // One output bare, as Keras 2 also wrote it: Keras 3 makes a list of one a list-valued
    // output, which a nested model's next layer in a Sequential takes for two inputs.
    output_layers: graph.outputs.length === 1 ? ref(graph.outputs[0]) : graph.outputs.map(ref),
  };
}

function className(layer: KerasLayerFile): string {
  return layer.model ? layer.model.kind : layer.className;
}

/**
 * Config keys that tf.keras 2 writes at their defaults and Keras 3's loader refuses (its
 * constructors take no such argument): left out, which both read as the default.
 */
const ANY = Symbol('any value');
const KERAS3_REFUSES: Record<string, [key: string, value: unknown][]> = {
  DepthwiseConv2D: [['groups', 1]],
  // tf.keras 2 writes the Conv base's kernel_* keys, which a SeparableConv2D does not use.
  SeparableConv2D: [['groups', 1], ['kernel_initializer', ANY], ['kernel_regularizer', null], ['kernel_constraint', null]],
  Conv2DTranspose: [['groups', 1]],
  SpatialDropout2D: [['trainable', true], ['noise_shape', null]],
};

function layerConfig(layer: KerasLayerFile): Record<string, unknown> {
  if (layer.model) return { ...graphConfig(layer.model), ...(layer.config.trainable === false ? { trainable: false } : {}) };
  const config = { ...layer.config };
  for (const [key, value] of KERAS3_REFUSES[layer.className] ?? []) if (value === ANY || config[key] === value) delete config[key];
  return config;
}

/**
 * One top-level layer's group: its weights, a nested model's those of all its layers, in the
 * order Keras's loader takes them (positionally): the trainable ones, then the others; a frozen
 * layer's all in creation order.
 */
function writeLayer(layerGroup: Group, layer: KerasLayerFile, weights: Map<KerasLayerFile, Record<string, KerasWeight>>): void {
  const entries = weightEntries(layer, true);
  const ordered = [...entries.filter((e) => e.trainable), ...entries.filter((e) => !e.trainable)];
  if (ordered.length === 0) {
    layerGroup.create_attribute('weight_names', new Float64Array(0), [0]);
    return;
  }
  const names = ordered.map((e) => `${e.owner.name}/${e.key}:0`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConvscopeError('E_UNSUPPORTED', `nested model '${layer.name}': two of its layers are both called '${twice.split('/')[0]}'; Keras names their weights alike`);
  layerGroup.create_attribute('weight_names', names);
  for (const e of ordered) {
    const value = weights.get(e.owner)?.[e.key];
    if (!value) throw new ConvscopeError('E_FORMAT', `layer '${e.owner.name}' has no '${e.key}' weight to write`);
    const scope = group(layerGroup, e.owner.name);
    const counter = e.owner.className === 'Normalization' && e.key === 'count';
    // Keras keeps Normalization's count as an int64 counter.
    const data = counter ? BigInt64Array.from(value.data, (v) => BigInt(Math.round(v))) : value.data;
    scope.create_dataset({ name: `${e.key}:0`, data, shape: value.shape });
  }
}

interface WeightEntry {
  owner: KerasLayerFile;
  key: string;
  trainable: boolean;
}

/** A layer's weights (a nested model's: its layers', depth first, each shared layer once), in creation order. */
function weightEntries(layer: KerasLayerFile, trainable: boolean, seen = new Set<KerasLayerFile>()): WeightEntry[] {
  if (seen.has(layer)) return [];
  seen.add(layer);
  const on = trainable && layer.config.trainable !== false;
  if (layer.model) return kerasLayerOrder(layer.model).flatMap((l) => weightEntries(l, on, seen));
  const fail = (message: string): never => {
    throw new ConvscopeError('E_FORMAT', message);
  };
  const known = kerasWeightNames(layer, fail) ?? [];
  const keys = [...known.filter((k) => k in layer.weights), ...Object.keys(layer.weights).filter((k) => !known.includes(k))];
  return keys.map((key) => ({ owner: layer, key, trainable: on && !(NON_TRAINABLE[layer.className] ?? []).includes(key) }));
}

function leaves(graph: KerasGraph): KerasLayerFile[] {
  return graph.layers.flatMap((l) => (l.model ? leaves(l.model) : [l]));
}
