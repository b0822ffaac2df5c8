/**
 * Reads a Keras HDF5 model file (`model.save('x.h5')` in Keras 2 / tf.keras, or in Keras 3, which
 * writes the same layout with its own config serialization: keras/src/legacy/saving/
 * legacy_h5_format.py): the architecture from the root `model_config` attribute, the weights from
 * `model_weights/`. Layers come back with their configs as Keras wrote them and their weights in
 * Keras layouts (conv kernel HWIO, dense (in, out)); converting them to channels-first is the
 * model builder's job.
 */
import type { Group } from 'h5wasm';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConvscopeError, type ErrorCode } from '../errors.ts';
import { parseModelConfig, type Fail } from './keras-graph.ts';
import { kerasWeightNames } from './keras-weight-names.ts';
import type { KerasGraph, KerasLayerFile, KerasModelFile } from './keras-model.ts';
import { describe } from '../model/spec-schema.ts';
import { MAGIC, startsWith } from './magic.ts';
import { KerasH5Error, isDataset, isGroup, plainNames, readWeight, stringAttr, stringListAttr, withH5File, type WeightBudget } from './h5-file.ts';
import { isKeras3Config, keras2FormOf } from './keras3-config.ts';
import { keras3ShortName } from './keras3-weights.ts';

export type { KerasWeight, KerasLayerFile, KerasProvenance, KerasModelFile } from './keras-model.ts';
export { KerasH5Error } from './h5-file.ts';

const KERAS_FILES = "a Keras model saved with model.save('model.h5') or model.save('model.keras')";
const KERAS3_ZIP = "is a Keras 3 '.keras' archive (a zip file), not an HDF5 model; read it with readKerasZip, or loadModel, which reads both";

/**
 * Reads a Keras `.h5` model from its bytes: one that Keras 2 / tf.keras wrote, or Keras 3's legacy
 * `.h5` (format 'keras3-h5'). `source` (the file's name) names it in messages.
 */
export async function readKerasH5(bytes: Uint8Array, source = 'model bytes'): Promise<KerasModelFile> {
  const label = source;
  const fail = (message: string, code: ErrorCode = 'E_FORMAT'): never => {
    throw new KerasH5Error(code, `${label}: ${message}`);
  };
  if (!(bytes instanceof Uint8Array)) {
    throw new KerasH5Error('E_ARGUMENT', `readKerasH5: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  }
  if (startsWith(bytes, MAGIC.zip)) fail(KERAS3_ZIP, 'E_ARGUMENT');
  try {
    const model = await withH5File(bytes, fail, (file) => readModel(file, bytes.byteLength, fail));
    return { ...model, provenance: { source: label, kerasVersion: model.kerasVersion, backend: model.backend, sha256: bytesToHex(sha256(bytes)) } };
  } catch (err) {
    if (err instanceof KerasH5Error) throw err;
    if (err instanceof ConvscopeError) return fail(err.message, err.code);
    throw err;
  }
}

function readModel(file: Group, fileBytes: number, fail: Fail): Omit<KerasModelFile, 'provenance'> {
  const configText = stringAttr(file, 'model_config');
  if (configText === undefined) {
    if (stringListAttr(file, 'layer_names') !== undefined) {
      fail("holds weights only (model.save_weights) and no model_config; save the whole model with model.save('model.h5')");
    }
    if (isGroup(file.get('layers')) || isGroup(file.get('vars'))) {
      fail(`is Keras 3 weights only (model.save_weights('x.weights.h5')) and no model; give ${KERAS_FILES}`);
    }
    fail("is HDF5 but not a Keras model: it has no model_config attribute (save the model with model.save('model.h5'))");
  }
  let config: unknown;
  try {
    config = JSON.parse(configText as string);
  } catch {
    fail('model_config is not valid JSON');
  }
  const weightsRoot = file.get('model_weights');
  const kerasVersion = stringAttr(file, 'keras_version') ?? (isGroup(weightsRoot) ? stringAttr(weightsRoot, 'keras_version') : undefined) ?? 'unknown';
  const keras3 = /^3\./.test(kerasVersion) || isKeras3Config(config);
  const graph = parseModelConfig(keras3 ? keras2FormOf(config, fail, 'model_config') : config, fail);

  if (!isGroup(weightsRoot)) return fail('has a model_config but no model_weights group');
  const backend = stringAttr(file, 'backend') ?? stringAttr(weightsRoot, 'backend') ?? 'unknown';
  attachWeights(weightsRoot, graph, fileBytes, keras3, fail);
  return { ...graph, format: keras3 ? 'keras3-h5' : 'keras2-h5', kerasVersion, backend };
}

/**
 * Puts each top-level layer's weights (model_weights/<layer>/<weight_names>) on its layer. A
 * nested model's group holds the weights of all its layers, each name scoped by its layer
 * ('block1_conv1/kernel:0', Keras 3: 'head/dense/kernel'); they go to that inner layer.
 */
function attachWeights(root: Group, graph: KerasGraph, fileBytes: number, keras3: boolean, fail: Fail): void {
  const stored = stringListAttr(root, 'layer_names');
  if (stored === undefined) return fail('model_weights has no layer_names attribute');
  plainNames(stored, 'model_weights/layer_names', fail);
  const configured = new Set(graph.layers.map((l) => l.name));
  for (const name of stored) {
    if (!configured.has(name) && weightNames(root, name, fail).length > 0) {
      fail(`model_weights holds weights for a layer '${name}' that model_config does not have`);
    }
  }
  const budget: WeightBudget = { fileBytes, total: 0 };
  for (const layer of graph.layers) {
    const names = stored.includes(layer.name) ? weightNames(root, layer.name, fail) : [];
    const inner = layer.model ? innerLayers(layer.model) : null;
    for (const full of names) {
      const owner = inner ? innerOwner(full, inner, layer.name, fail) : layer;
      const key = keras3 ? keras3ShortName(owner.className, shortName(full)) : shortName(full);
      if (key in owner.weights) fail(`layer '${owner.name}' has two weights named '${key}'`);
      const dataset = root.get(`${layer.name}/${full}`);
      if (!isDataset(dataset)) fail(`layer '${layer.name}': weight '${full}' is listed in weight_names but missing`);
      owner.weights[key] = readWeight(dataset as never, layer.name, full, budget, fail);
    }
    for (const l of inner ? inner.values() : [layer]) if (!l.model) checkWeightNames(l, Object.keys(l.weights), fail);
  }
}

/** Every layer of a nested model, its own nested models' layers included, by name. */
function innerLayers(graph: KerasGraph, into = new Map<string, KerasLayerFile>()): Map<string, KerasLayerFile> {
  for (const l of graph.layers) {
    into.set(l.name, l);
    if (l.model) innerLayers(l.model, into);
  }
  return into;
}

/** The inner layer a nested model's weight belongs to: the last scope of its name that names one. */
function innerOwner(full: string, inner: Map<string, KerasLayerFile>, outer: string, fail: Fail): KerasLayerFile {
  const scopes = full.split('/').slice(0, -1);
  for (let i = scopes.length - 1; i >= 0; i--) {
    const owner = inner.get(scopes[i]);
    if (owner && !owner.model) return owner;
  }
  return fail(`model_weights/${outer}: weight '${full}' belongs to none of the nested model's layers`);
}

function weightNames(root: Group, layerName: string, fail: Fail): string[] {
  const group = root.get(layerName);
  if (!isGroup(group)) return fail(`model_weights lists layer '${layerName}' but has no group for it`);
  const names = stringListAttr(group, 'weight_names') ?? fail(`model_weights/${layerName} has no weight_names attribute`);
  return plainNames(names, `model_weights/${layerName}/weight_names`, fail);
}

/** 'dense_1/kernel:0' -> 'kernel' (tf.keras may put more scopes in front). */
function shortName(full: string): string {
  return (full.split('/').at(-1) ?? full).replace(/:\d+$/, '');
}

export function checkWeightNames(layer: KerasLayerFile, found: string[], fail: Fail): void {
  const expected = kerasWeightNames(layer, fail);
  if (expected === undefined) return;
  const same = expected.length === found.length && expected.every((n) => found.includes(n));
  if (!same) {
    const list = (names: string[]) => (names.length ? names.join(', ') : 'none');
    fail(`layer '${layer.name}' (${layer.className}) should have weights ${list(expected)} by its config, but the file has ${list(found)}`);
  }
}
