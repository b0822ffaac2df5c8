/**
 * Reads a TensorFlow.js layers model: a model.json ({format: 'layers-model', modelTopology,
 * weightsManifest}) and the weight files its manifest lists. The topology is a Keras 2 model
 * config, either bare ({class_name, config, keras_version, backend}, as tfjs-layers' own
 * model.save writes it) or wrapped ({keras_version, backend, model_config, training_config}, as
 * tensorflowjs_converter --input_format keras writes it); weights are matched to layers by name
 * as tfjs-layers does ('conv2d/kernel'; in a nested model the inner layer's name, with or without
 * the outer models' names in front).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConvscopeError, type ErrorCode } from '../errors.ts';
import { describe, isRecord } from '../model/spec-schema.ts';
import { parseModelConfig } from './keras-graph.ts';
import { checkWeightNames } from './keras-h5.ts';
import { kerasWeightNames } from './keras-weight-names.ts';
import type { KerasGraph, KerasLayerFile, KerasModelFile, KerasWeight } from './keras-model.ts';
import { parseJson } from './model-folder.ts';
import { checkManifest, readManifestWeights, type Fail, type ShardReader } from './tfjs-weights.ts';

export type { ShardReader } from './tfjs-weights.ts';

/** Whether a parsed model.json is a TensorFlow.js model (rather than a convscope model folder's). */
export function isTfjsModelJson(json: unknown): boolean {
  return isRecord(json) && ('modelTopology' in json || 'weightsManifest' in json);
}

/**
 * A TensorFlow.js layers model from its model.json's bytes; `shards` gives each weight file the
 * manifest lists, by its path relative to model.json. `source` (model.json's path or URL) names
 * the model in messages.
 */
export async function readTfjsLayers(modelJson: Uint8Array, shards: ShardReader, source = 'model.json'): Promise<KerasModelFile> {
  const fail: Fail = (message: string, code: ErrorCode = 'E_FORMAT'): never => {
    throw new ConvscopeError(code, `${source}: ${message}`);
  };
  const json = parseJson(modelJson, source);
  if (!isTfjsModelJson(json)) return fail('is not a TensorFlow.js model.json (it has no modelTopology or weightsManifest)');
  const file = json as Record<string, unknown>;
  const graph = layersModelGraph(file, fail);
  const topology = file.modelTopology as Record<string, unknown>;
  const groups = checkManifest(file.weightsManifest ?? [], fail);
  const keras3 = groups.flatMap((g) => g.weights).find((w) => /\/\d+$/.test(w.name));
  if (keras3) {
    fail(`names its weights in Keras 3's layout ('${keras3.name}'): it was converted from a Keras 3 model; load the Keras 3 .keras file itself`, 'E_UNSUPPORTED');
  }

  const hash = sha256.create().update(modelJson);
  const read = async (path: string): Promise<Uint8Array> => {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await shards(path);
    } catch (e) {
      if (!(e instanceof ConvscopeError && e.code === 'E_NOT_FOUND')) throw e;
    }
    if (bytes === undefined) return fail(`the weight file '${path}' that its weightsManifest lists is missing (it belongs beside model.json)`, 'E_NOT_FOUND');
    hash.update(bytes);
    return bytes;
  };
  const weights = await readManifestWeights(groups, read, fail);
  attachWeights(graph, weights, fail);

  const kerasVersion = versionOf(topology, file);
  const backend = backendOf(topology);
  return { ...graph, format: 'tfjs-layers', kerasVersion, backend, provenance: { source, kerasVersion, backend, sha256: bytesToHex(hash.digest()) } };
}

/** The Keras model config of a layers model's modelTopology, in either form, as a graph; anything else is refused. */
function layersModelGraph(json: Record<string, unknown>, fail: Fail): KerasGraph {
  const { format, modelTopology: topology } = json;
  if (format === 'graph-model' || (isRecord(topology) && 'node' in topology)) {
    fail('is a TensorFlow.js graph model (a TensorFlow graph, not Keras layers); convscope reads layers models: convert a Keras model with tensorflowjs_converter --input_format keras', 'E_UNSUPPORTED');
  }
  if (format !== undefined && format !== null && format !== 'layers-model') fail(`has the format ${describe(format)}; expected 'layers-model'`, 'E_UNSUPPORTED');
  if (topology === null || topology === undefined) {
    fail('has no modelTopology, only weights (a converted model.save_weights file); convert the whole model, saved with model.save()');
  }
  if (!isRecord(topology)) return fail(`modelTopology is ${describe(topology)}; expected a Keras model config`);
  if (typeof topology.keras_version === 'string' && /^3\./.test(topology.keras_version)) {
    fail(`was converted from a Keras ${topology.keras_version} model, whose config and weight names convscope does not read in this form; load the Keras 3 .keras file itself`, 'E_UNSUPPORTED');
  }
  const wrapped = 'model_config' in topology;
  return parseModelConfig(wrapped ? topology.model_config : topology, fail, wrapped ? 'modelTopology.model_config' : 'modelTopology');
}

/** '2.2.4' (converted from Keras), 'tfjs-layers 4.22.0' (saved by tfjs-layers), else generatedBy's 'keras v2.2.4', else 'unknown'. */
function versionOf(topology: Record<string, unknown>, json: Record<string, unknown>): string {
  if (typeof topology.keras_version === 'string') return topology.keras_version;
  const generated = typeof json.generatedBy === 'string' ? /^keras v(.+)$/.exec(json.generatedBy) : null;
  return generated ? generated[1] : 'unknown';
}

/** tfjs-layers writes its own name ('TensorFlow.js' snake-cased: 'tensor_flow.js'); it keeps TensorFlow's kernel layouts. */
function backendOf(topology: Record<string, unknown>): string {
  const backend = topology.backend;
  if (typeof backend !== 'string') return 'unknown';
  return /\.js$/i.test(backend) ? 'tensorflow' : backend;
}

interface Leaf {
  layer: KerasLayerFile;
  /** The names of the models it is nested in, outermost first (empty at the top). */
  models: string[];
}

/** Puts each manifest weight on the layer its name scopes, keyed by its short name ('conv2d/kernel' -> conv2d's 'kernel'). */
function attachWeights(graph: KerasGraph, weights: Map<string, KerasWeight>, fail: Fail): void {
  const leaves = new Map<string, Leaf[]>();
  const collect = (g: KerasGraph, models: string[]): void => {
    for (const layer of g.layers) {
      if (layer.model) collect(layer.model, [...models, layer.name]);
      else leaves.set(layer.name, [...(leaves.get(layer.name) ?? []), { layer, models }]);
    }
  };
  collect(graph, []);
  for (const [name, weight] of weights) {
    const owner = ownerOf(name, leaves, fail);
    const key = (name.split('/').at(-1) ?? name).replace(/:\d+$/, '');
    if (key in owner.weights) {
      fail(`two weights of the manifest are layer '${owner.name}''s '${key}' (the second is '${name}'); a model whose nested layers share names cannot be told apart`);
    }
    owner.weights[key] = weight;
  }
  for (const list of leaves.values()) {
    for (const { layer } of list) {
      const parent = layer.name.includes('/') ? layer.name.slice(0, layer.name.lastIndexOf('/')) : undefined;
      if (Object.keys(layer.weights).length === 0 && parent !== undefined && leaves.has(parent)) {
        // tensorflowjs_converter stops at an HDF5 group that has weights of its own, so it never reaches 'X/BatchNorm' inside 'X'.
        if ((kerasWeightNames(layer, fail) ?? []).length > 0) {
          fail(`layer '${layer.name}' (${layer.className}) has no weights in the manifest: tensorflowjs_converter leaves out the weights of a layer whose name continues another layer's ('${parent}') after a '/', as in keras.applications' MobileNetV3; load the model's .h5 or .keras file instead`);
        }
      }
      checkWeightNames(layer, Object.keys(layer.weights), fail);
    }
  }
}

/**
 * The layer a weight belongs to: the innermost scope of its name that names a layer; where
 * nested models have several layers of that name, the one whose models the outer scopes name.
 */
function ownerOf(name: string, leaves: Map<string, Leaf[]>, fail: Fail): KerasLayerFile {
  const scopes = name.split('/').slice(0, -1);
  // Innermost first; a layer's own name may hold '/' (keras.applications' 'expanded_conv/depthwise'): longest first.
  for (let i = scopes.length - 1; i >= 0; i--) {
    for (let j = 0; j <= i; j++) {
      const layerName = scopes.slice(j, i + 1).join('/');
      const all = leaves.get(layerName) ?? [];
      if (all.length === 1) return all[0].layer;
      const outer = scopes.slice(0, j);
      const named = all.filter((l) => l.models.every((m) => outer.includes(m)));
      if (named.length > 0) return named.reduce((a, b) => (b.models.length > a.models.length ? b : a)).layer;
      if (all.length > 1) {
        fail(`weightsManifest holds the weight '${name}', and layers ${all.map((l) => `'${[...l.models, layerName].join('/')}'`).join(' and ')} all have that name; a weight's name must tell its layer`);
      }
    }
  }
  const names = [...leaves.keys()];
  const listed = names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ');
  return fail(`weightsManifest holds the weight '${name}', which belongs to none of the model's layers (${listed})`);
}
