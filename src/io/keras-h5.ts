/**
 * Reads a Keras 2 HDF5 model file (`model.save('x.h5')`): the architecture from the root
 * `model_config` attribute, the weights from `model_weights/`. Layers come back in chain
 * order with their configs as Keras wrote them and their weights in Keras layouts (conv
 * kernel HWIO, dense (in, out)); converting them to channels-first is the model builder's job.
 */
import type { Group } from 'h5wasm';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConvscopeError, type ErrorCode } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import { formatShape } from '../tensor.ts';
import { parseModelConfig, type Fail } from './keras-graph.ts';
import type { KerasGraph, KerasLayerFile, KerasModelFile, KerasWeight } from './keras-model.ts';
import { describe, isPlainName, isRecord } from '../model/spec-schema.ts';
import { MAGIC, startsWith } from './magic.ts';

export type { KerasWeight, KerasLayerFile, KerasProvenance, KerasModelFile } from './keras-model.ts';

/**
 * A file that is not a readable Keras model; the message starts with the file name. The code is
 * E_FORMAT for a damaged file, E_UNSUPPORTED for a well-formed one convscope cannot run.
 */
export class KerasH5Error extends ConvscopeError {
  override name = 'KerasH5Error';
}

// h5wasm (4 MB of JavaScript and wasm) is imported on the first HDF5 file, not with the library.
// Its default (ESM) build keeps its files in Emscripten's in-memory FS, so it reads bytes we were
// given on any platform. The throwing handler turns the error stacks HDF5 would print on stderr
// into exceptions.
type H5wasm = typeof import('h5wasm').default;
let h5wasm: H5wasm;
let h5wasmLoaded: Promise<Awaited<H5wasm['ready']>['FS']> | undefined;
let openCount = 0;

function loadH5wasm() {
  h5wasmLoaded ??= import('h5wasm').then(async ({ default: loaded }) => {
    const module = await loaded.ready;
    module.activate_throwing_error_handler();
    h5wasm = loaded;
    return module.FS;
  });
  return h5wasmLoaded;
}

const KERAS3 =
  "is a Keras 3 '.keras' archive (a zip file), not an HDF5 model; " +
  "save the model in Keras 2 or tf.keras with model.save('model.h5')";

/** Reads a Keras 2 `.h5` model from its bytes; `source` (the file's name) names it in messages. */
export async function readKerasH5(bytes: Uint8Array, source = 'model bytes'): Promise<KerasModelFile> {
  const label = source;
  const fail = (message: string, code: ErrorCode = 'E_FORMAT'): never => {
    throw new KerasH5Error(code, `${label}: ${message}`);
  };
  if (!(bytes instanceof Uint8Array)) {
    throw new KerasH5Error('E_ARGUMENT', `readKerasH5: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  }
  if (startsWith(bytes, MAGIC.zip)) fail(KERAS3, 'E_UNSUPPORTED');
  const FS = await loadH5wasm();

  const memPath = `/convscope-${++openCount}.h5`;
  FS.writeFile(memPath, bytes);
  let file: InstanceType<typeof h5wasm.File> | undefined;
  try {
    try {
      file = new h5wasm.File(memPath, 'r');
    } catch (err) {
      fail(openFailure(hdf5Reason(err)));
    }
    if (file === undefined || file.file_id < 0n) return fail('not an HDF5 file');
    const model = readModel(file, bytes.byteLength, fail);
    return { ...model, provenance: { source: label, kerasVersion: model.kerasVersion, backend: model.backend, sha256: bytesToHex(sha256(bytes)) } };
  } catch (err) {
    if (err instanceof KerasH5Error) throw err;
    if (err instanceof ConvscopeError) return fail(err.message, err.code);
    return fail(`cannot read its HDF5 data, the file may be damaged (${hdf5Reason(err)})`);
  } finally {
    if (file !== undefined && file.file_id >= 0n) closeQuietly(file);
    FS.unlink(memPath);
  }
}


function openFailure(reason: string): string {
  const truncated = /eof = (\d+).*stored_eof = (\d+)/.exec(reason);
  if (truncated) return `truncated HDF5 file: it has ${truncated[1]} bytes but its header says ${truncated[2]}`;
  if (/truncated/i.test(reason)) return 'truncated HDF5 file';
  if (/signature not found/i.test(reason)) return "not an HDF5 file (no HDF5 signature); expected a Keras model saved with model.save('model.h5')";
  return `cannot open it as HDF5, the file may be damaged (${reason})`;
}

/** The innermost reason in an HDF5 error stack ("#006: ... in H5F__super_read(): <reason>"). */
function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const reasons = [...text.matchAll(/#\d+:.*?\(\): (.*)$/gm)].map((m) => m[1].trim());
  return reasons.at(-1) ?? text.split('\n')[0];
}

function closeQuietly(file: InstanceType<typeof h5wasm.File>): void {
  try {
    file.close();
  } catch {
    // The file is already unusable and the caller gets the error that matters.
  }
}

function readModel(file: Group, fileBytes: number, fail: Fail): Omit<KerasModelFile, 'provenance'> {
  const configText = stringAttr(file, 'model_config');
  if (configText === undefined) {
    if (stringListAttr(file, 'layer_names') !== undefined) {
      fail("holds weights only (model.save_weights) and no model_config; save the whole model with model.save('model.h5')");
    }
    fail("is HDF5 but not a Keras model: it has no model_config attribute (save the model with model.save('model.h5'))");
  }
  let config: unknown;
  try {
    config = JSON.parse(configText as string);
  } catch {
    fail('model_config is not valid JSON');
  }
  const graph = parseModelConfig(config, fail);

  const weightsRoot = file.get('model_weights');
  if (!(weightsRoot instanceof h5wasm.Group)) return fail('has a model_config but no model_weights group');
  const kerasVersion = stringAttr(file, 'keras_version') ?? stringAttr(weightsRoot, 'keras_version') ?? 'unknown';
  const backend = stringAttr(file, 'backend') ?? stringAttr(weightsRoot, 'backend') ?? 'unknown';
  attachWeights(weightsRoot, graph, fileBytes, fail);
  return { ...graph, format: 'keras2-h5', kerasVersion, backend };
}

/**
 * Puts each top-level layer's weights (model_weights/<layer>/<weight_names>) on its layer. A
 * nested model's group holds the weights of all its layers, each name scoped by its layer
 * ('block1_conv1/kernel:0'); they go to that inner layer.
 */
function attachWeights(root: Group, graph: KerasGraph, fileBytes: number, fail: Fail): void {
  const stored = stringListAttr(root, 'layer_names');
  if (stored === undefined) return fail('model_weights has no layer_names attribute');
  plainNames(stored, 'model_weights/layer_names', fail);
  const configured = new Set(graph.layers.map((l) => l.name));
  for (const name of stored) {
    if (!configured.has(name) && weightNames(root, name, fail).length > 0) {
      fail(`model_weights holds weights for a layer '${name}' that model_config does not have`);
    }
  }
  const budget = { fileBytes, total: 0 };
  for (const layer of graph.layers) {
    const names = stored.includes(layer.name) ? weightNames(root, layer.name, fail) : [];
    const inner = layer.model ? innerLayers(layer.model) : null;
    for (const full of names) {
      const owner = inner ? innerOwner(full, inner, layer.name, fail) : layer;
      const key = shortName(full);
      if (key in owner.weights) fail(`layer '${owner.name}' has two weights named '${key}'`);
      owner.weights[key] = readWeight(root, layer.name, full, budget, fail);
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
  if (!(group instanceof h5wasm.Group)) return fail(`model_weights lists layer '${layerName}' but has no group for it`);
  const names = stringListAttr(group, 'weight_names') ?? fail(`model_weights/${layerName} has no weight_names attribute`);
  return plainNames(names, `model_weights/${layerName}/weight_names`, fail);
}

/** Names from the file go into messages: one with a control character (a damaged byte) is refused here. */
function plainNames(names: string[], where: string, fail: Fail): string[] {
  const bad = names.find((n) => !isPlainName(n));
  if (bad !== undefined) fail(`${where} holds the name ${describe(bad)}; expected non-empty names without control characters`);
  return names;
}

/** 'dense_1/kernel:0' -> 'kernel' (tf.keras may put more scopes in front). */
function shortName(full: string): string {
  return (full.split('/').at(-1) ?? full).replace(/:\d+$/, '');
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

/**
 * One weight dataset, its size checked from its header before it is read: against the memory
 * limit (with the weights read so far), and, when it is stored uncompressed, against the file
 * (a header declaring more data than the file holds is damaged).
 */
function readWeight(root: Group, layerName: string, full: string, budget: { fileBytes: number; total: number }, fail: Fail): KerasWeight {
  const dataset = root.get(`${layerName}/${full}`);
  if (!(dataset instanceof h5wasm.Dataset)) return fail(`layer '${layerName}': weight '${full}' is listed in weight_names but missing`);
  const { type, size } = dataset.metadata;
  // Integer weights are counters (Normalization's count), read as floats like the rest.
  if (!((type === H5T_FLOAT && (size === 4 || size === 8)) || (type === H5T_INTEGER && [1, 2, 4, 8].includes(size)))) {
    fail(`layer '${layerName}': weight '${full}' has type ${JSON.stringify(dataset.dtype)}; expected float32 or float64 (or an integer counter)`, 'E_UNSUPPORTED');
  }
  const shape = dataset.shape ?? [];
  const bytes = shape.reduce((a, b) => a * b, 1) * size;
  if (dataset.filters.length === 0 && bytes > budget.fileBytes) {
    fail(`layer '${layerName}': weight '${full}' declares shape ${formatShape(shape)} (${bytes} bytes), more than the whole file (${budget.fileBytes} bytes); the file is damaged`);
  }
  checkMemory(bytes, `layer '${layerName}' weight '${full}' ${formatShape(shape)}`);
  budget.total += (bytes / size) * 4;
  checkMemory(budget.total, "the model's weight data");
  const value = dataset.value;
  if (value instanceof Float32Array && value.length * 4 === bytes) return { shape, data: value };
  if (value instanceof Float64Array && value.length * 8 === bytes) return { shape, data: Float32Array.from(value) };
  if (shape.length === 0 && (typeof value === 'number' || typeof value === 'bigint')) return { shape, data: Float32Array.of(Number(value)) };
  if (type === H5T_INTEGER && ArrayBuffer.isView(value) && !(value instanceof DataView) && value.length * size === bytes) {
    return { shape, data: Float32Array.from(value as ArrayLike<number | bigint>, Number) };
  }
  return fail(`layer '${layerName}': weight '${full}' cannot be read as ${formatShape(shape)} float values; the file may be damaged`);
}

/** For the layers convscope knows, the weights their config calls for, in Keras's order. */
function expectedWeights(layer: KerasLayerFile, fail: Fail): string[] | undefined {
  const flag = (key: string): boolean => {
    const v = layer.config[key];
    if (v !== undefined && typeof v !== 'boolean') fail(`layer '${layer.name}' (${layer.className}): config.${key}: expected true or false, got ${describe(v)}`);
    return v !== false;
  };
  switch (layer.className) {
    case 'Conv2D':
    case 'Dense':
      return flag('use_bias') ? ['kernel', 'bias'] : ['kernel'];
    case 'BatchNormalization':
      return [...(flag('scale') ? ['gamma'] : []), ...(flag('center') ? ['beta'] : []), 'moving_mean', 'moving_variance'];
    case 'InputLayer':
    case 'MaxPooling2D':
    case 'AveragePooling2D':
    case 'Flatten':
    case 'Dropout':
    case 'Activation':
    case 'ZeroPadding2D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
    case 'Reshape':
      return [];
    // --- conv family ---
    // --- end conv family ---

    // --- activation, normalization and shape layers ---
    case 'ReLU':
    case 'LeakyReLU':
    case 'ELU':
    case 'ThresholdedReLU':
    case 'Softmax':
      return [];
    case 'PReLU':
      return ['alpha'];
    case 'LayerNormalization':
      return [...(flag('scale') ? ['gamma'] : []), ...(flag('center') ? ['beta'] : [])];
    case 'Normalization':
      // Built with mean and variance in its config, the layer holds them as constants, not weights.
      return layer.config.mean === undefined || layer.config.mean === null ? ['mean', 'variance', 'count'] : [];
    case 'Rescaling':
    case 'SpatialDropout2D':
    case 'GaussianNoise':
    case 'GaussianDropout':
    case 'ActivityRegularization':
    case 'UpSampling2D':
    case 'Cropping2D':
    case 'Permute':
      return [];
    // --- end activation, normalization and shape layers ---
    default:
      return undefined;
  }
}

function checkWeightNames(layer: KerasLayerFile, found: string[], fail: Fail): void {
  const expected = expectedWeights(layer, fail);
  if (expected === undefined) return;
  const same = expected.length === found.length && expected.every((n) => found.includes(n));
  if (!same) {
    const list = (names: string[]) => (names.length ? names.join(', ') : 'none');
    fail(`layer '${layer.name}' (${layer.className}) should have weights ${list(expected)} by its config, but the file has ${list(found)}`);
  }
}

function stringAttr(obj: Group, name: string): string | undefined {
  const attrs = obj.attrs;
  const value = name in attrs ? attrs[name].value : undefined;
  return typeof value === 'string' ? value.replace(/\0+$/, '') : undefined;
}

/** A list-of-strings attribute, also in the chunked form (name0, name1, ...) Keras uses past 64 KB. */
function stringListAttr(obj: Group, name: string): string[] | undefined {
  const attrs = obj.attrs;
  const keys = name in attrs ? [name] : [];
  if (keys.length === 0) {
    while (`${name}${keys.length}` in attrs) keys.push(`${name}${keys.length}`);
    if (keys.length === 0) return undefined;
  }
  const out: string[] = [];
  for (const key of keys) {
    const value = attrs[key].value;
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) out.push(...value.map((v) => String(v).replace(/\0+$/, '')));
    else if (!(ArrayBuffer.isView(value) && value.byteLength === 0)) return undefined;
  }
  return out;
}

