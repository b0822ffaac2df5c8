/**
 * Reads a Keras 3 `.keras` archive (`model.save('x.keras')`, keras/src/saving/saving_lib.py): a
 * zip holding config.json (the model's serialized config), metadata.json ({keras_version,
 * date_saved}) and model.weights.h5, where each layer's variables are datasets `vars/0`,
 * `vars/1`, ... under `layers/<its class in snake case>[_<n>]`, a nested model's under its own
 * `layers/<model>/layers/...`.
 */
import type { Group } from 'h5wasm';
import { unzipSync } from 'fflate';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConvscopeError, type ErrorCode } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import { describe, isRecord } from '../model/spec-schema.ts';
import { parseModelConfig, type Fail } from './keras-graph.ts';
import type { KerasGraph, KerasLayerFile, KerasModelFile } from './keras-model.ts';
import { KerasH5Error, isDataset, isGroup, readWeight, stringAttr, withH5File, type WeightBudget } from './h5-file.ts';
import { keras2FormOf } from './keras3-config.ts';
import { containerPaths } from './keras3-weights.ts';
import { kerasWeightNames } from './keras-weight-names.ts';
import { checkWeightNames } from './keras-h5.ts';

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';
const SAVE = "save the model with model.save('model.keras')";

/** Reads a Keras 3 `.keras` model from its bytes; `source` (the file's name) names it in messages. */
export async function readKerasZip(bytes: Uint8Array, source = 'model bytes'): Promise<KerasModelFile> {
  const fail = (message: string, code: ErrorCode = 'E_FORMAT'): never => {
    throw new KerasH5Error(code, `${source}: ${message}`);
  };
  if (!(bytes instanceof Uint8Array)) {
    throw new KerasH5Error('E_ARGUMENT', `readKerasZip: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  }
  try {
    const members = unzip(bytes, fail);
    const config = json(members, CONFIG, fail) ?? fail(`is a zip archive without ${CONFIG}, so not a Keras 3 .keras model (it holds: ${[...members.keys()].join(', ') || 'nothing'}); ${SAVE}`);
    const metadata = json(members, METADATA, fail);
    const kerasVersion = isRecord(metadata) && typeof metadata.keras_version === 'string' ? metadata.keras_version : 'unknown';
    const graph = parseModelConfig(keras2FormOf(config, fail), fail, CONFIG);
    const weights = members.get(WEIGHTS);
    if (!weights) {
      if (members.has('model.weights.npz')) fail(`holds its weights as model.weights.npz; convscope reads Keras's default, ${WEIGHTS}`, 'E_UNSUPPORTED');
      fail(`has no ${WEIGHTS}, so no weights; ${SAVE}`);
    }
    const budget: WeightBudget = { fileBytes: weights!.byteLength, total: 0 };
    await withH5File(weights!, fail, (h5) => attachVariables(h5, graph, '', budget, fail), WEIGHTS);
    // A .keras archive does not name the backend: Keras 3 keeps one weight layout for all of them.
    const backend = 'unknown';
    return { ...graph, format: 'keras3-zip', kerasVersion, backend, provenance: { source, kerasVersion, backend, sha256: bytesToHex(sha256(bytes)) } };
  } catch (err) {
    if (err instanceof KerasH5Error) throw err;
    if (err instanceof ConvscopeError) return fail(err.message, err.code);
    throw err;
  }
}

/** The archive's three members (any others, such as assets/, are not read), sizes checked before they are inflated. */
function unzip(bytes: Uint8Array, fail: Fail): Map<string, Uint8Array> {
  const names: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        names.push(f.name);
        const wanted = f.name === CONFIG || f.name === METADATA || f.name === WEIGHTS || f.name === 'model.weights.npz';
        if (wanted && f.name !== 'model.weights.npz') checkMemory(f.originalSize, `the archive's ${f.name}`);
        return wanted && f.name !== 'model.weights.npz';
      },
    });
  } catch (err) {
    if (err instanceof ConvscopeError) throw err;
    return fail(`is not a readable zip archive, it may be truncated or damaged (${(err as Error).message}); a Keras 3 .keras file is a zip archive`);
  }
  const out = new Map<string, Uint8Array>(names.map((n) => [n, new Uint8Array(0)]));
  for (const [name, data] of Object.entries(files)) out.set(name, data);
  return out;
}

function json(members: Map<string, Uint8Array>, name: string, fail: Fail): unknown {
  const data = members.get(name);
  if (data === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return fail(`${name} is not valid JSON`);
  }
}

/**
 * Puts each layer's `vars/<i>` on it under its Keras 2 short name, walking the graph's `layers`
 * container the way saving_lib wrote it. `at` is the container's owner ('' for the model,
 * 'layers/functional/' for a nested model).
 */
function attachVariables(owner: Group, graph: KerasGraph, at: string, budget: WeightBudget, fail: Fail): void {
  const container = owner.get('layers');
  const paths = containerPaths(graph.layers, graph.kind === 'Sequential');
  const expected = new Set(paths.filter((p) => p !== undefined));
  if (isGroup(container)) {
    const extra = container.keys().find((k) => !expected.has(k));
    if (extra !== undefined) fail(`${WEIGHTS} holds variables at ${at}layers/${extra}, for which ${CONFIG} has no layer; the archive's config and weights do not match`);
  } else if (expected.size > 0) {
    fail(`${WEIGHTS} has no ${at}layers group, so no layer's variables; the file is damaged`);
  }
  graph.layers.forEach((layer, i) => {
    const path = paths[i];
    if (path === undefined) return;
    const group = isGroup(container) ? container.get(path) : undefined;
    const where = `${at}layers/${path}`;
    if (layer.model) {
      if (!isGroup(group)) return fail(`${WEIGHTS} has no ${where} group for the nested model '${layer.name}'`);
      const own = group.get('vars');
      if (isGroup(own)) checkOwnerName(own, layer, where, fail);
      return attachVariables(group, layer.model, `${where}/`, budget, fail);
    }
    readLayerVariables(group, layer, where, budget, fail);
  });
}

function readLayerVariables(group: unknown, layer: KerasLayerFile, where: string, budget: WeightBudget, fail: Fail): void {
  // a Keras 3 archive stores a layer's variables in the order Keras creates them
  const names = kerasWeightNames(layer, fail);
  const vars = isGroup(group) ? group.get('vars') : undefined;
  if (!isGroup(vars)) {
    if (names && names.length > 0) fail(`${WEIGHTS} has no variables for layer '${layer.name}' (${layer.className}) at ${where}/vars; it should have ${names.join(', ')}`);
    return checkWeightNames(layer, [], fail);
  }
  checkOwnerName(vars, layer, where, fail);
  const count = vars.keys().length;
  if (names && count !== names.length) {
    fail(`layer '${layer.name}' (${layer.className}) should have ${names.length} variable${names.length === 1 ? '' : 's'} (${names.join(', ') || 'none'}) by its config, but ${WEIGHTS} has ${count} at ${where}/vars`);
  }
  for (let i = 0; i < count; i++) {
    const dataset = vars.get(String(i));
    if (!isDataset(dataset)) fail(`${WEIGHTS}: ${where}/vars holds ${count} entries but no dataset '${i}'; the file is damaged`);
    layer.weights[names ? names[i] : String(i)] = readWeight(dataset as never, layer.name, `${where}/vars/${i}`, budget, fail);
  }
  checkWeightNames(layer, Object.keys(layer.weights), fail);
}

/** Recent Keras 3 releases write the layer's name on its vars group: when there, it must be the layer the walk reached. */
function checkOwnerName(vars: Group, layer: KerasLayerFile, where: string, fail: Fail): void {
  const name = stringAttr(vars, 'name');
  if (name !== undefined && name !== layer.name) {
    fail(`${WEIGHTS}: ${where} holds the variables of a layer named '${name}', where ${CONFIG} has '${layer.name}' (${layer.className}); the archive's config and weights do not match`);
  }
}
