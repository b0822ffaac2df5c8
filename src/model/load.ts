import { readKerasH5 } from '../io/keras-h5.ts';
import { readKerasZip } from '../io/keras-zip.ts';
import { parseJson, readModelFolder } from '../io/model-folder.ts';
import { isTfjsModelJson, readTfjsLayers, type ShardReader } from '../io/tfjs-layers.ts';
import { MAGIC, startsWith } from '../io/magic.ts';
import { ConvscopeError } from '../errors.ts';
import { describe } from '../check.ts';
import { specFromKeras } from './from-keras.ts';
import { Model } from './model.ts';
import type { ModelSpec } from './spec.ts';

/** A model file's bytes, or in a browser a File (or any Blob) holding them. */
export type ModelBytes = Uint8Array | ArrayBuffer | Blob;

/**
 * The files of a multi-file model by name: a converted folder's `model.json` and `weights.bin`,
 * a TensorFlow.js model's `model.json` and the weight files its manifest lists, or one `.h5`.
 */
export interface ModelFiles {
  files: Record<string, ModelBytes>;
}

/**
 * Where a model comes from: the bytes of a Keras `.h5` file, a `{ files }` map, or a URL to fetch
 * (a `.h5` file, or a `model.json`: a converted folder's, whose `weights.bin` is fetched beside
 * it, or a TensorFlow.js model's, whose weight files are). The Node entry also takes a path to a
 * file or folder.
 */
export type ModelSource = ModelBytes | ModelFiles | URL | string;

export interface LoadOptions {
  /** Names the model in messages (its file name); default: the URL, or 'model bytes'. */
  name?: string;
}

const VALID = 'a Keras .h5 or .keras file (bytes or a File), { files: { "model.json", "weights.bin" } } of a converted folder or { files: { "model.json", "group1-shard1of1.bin", ... } } of a TensorFlow.js model, or a URL';

/** The model spec from any ModelSource (see loadModel). */
export async function loadModelSpec(source: ModelSource, options: LoadOptions = {}): Promise<ModelSpec> {
  if (typeof source === 'string' || source instanceof URL) return loadFromUrl(toUrl(source), options);
  const name = options.name ?? (isFile(source) ? source.name : 'model bytes');
  const bytes = await asBytes(source);
  if (bytes) return specFromBytes(bytes, name);
  if (isFiles(source)) return specFromFiles(source.files, name);
  throw new ConvscopeError('E_ARGUMENT', `loadModel: expected ${VALID}; got ${describe(source)}`);
}

/**
 * Loads a Keras model (a Keras 2 or 3 `.h5`, a Keras 3 `.keras` archive; channels-first or
 * -last), a TensorFlow.js layers model (model.json and its weight files) or a converted model
 * folder, ready to run on the engine. Every part of the file is checked before it is used.
 *
 *   const model = await loadModel(await (await fetch('mnist.h5')).arrayBuffer());
 *   const { records } = model.forward(image);      // every layer's input, z, output, switches
 *   const probabilities = model.predict(image);
 */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  const named = options.name ?? (typeof source === 'string' || source instanceof URL ? String(source) : isFile(source) ? source.name : undefined);
  return new Model(await loadModelSpec(source, options), named);
}

async function specFromBytes(bytes: Uint8Array, name: string): Promise<ModelSpec> {
  if (bytes.length > 0 && bytes[0] === 0x7b) {
    throw new ConvscopeError('E_ARGUMENT', `${name}: is a model.json alone; give its folder, or { files: { 'model.json', ... } } with the weight files beside it`);
  }
  return specFromKeras(startsWith(bytes, MAGIC.zip) ? await readKerasZip(bytes, name) : await readKerasH5(bytes, name));
}

async function specFromFiles(files: Record<string, ModelBytes>, name: string): Promise<ModelSpec> {
  const byName = new Map<string, Uint8Array>();
  for (const [key, value] of Object.entries(files)) {
    const bytes = await asBytes(value);
    if (!bytes) throw new ConvscopeError('E_ARGUMENT', `loadModel: files['${key}'] must be a Uint8Array, an ArrayBuffer or a File, not ${describe(value)}`);
    byName.set(key.split('/').at(-1) ?? key, bytes);
  }
  const json = byName.get('model.json');
  if (json) {
    return specFromModelJson(json, (file) => byName.get(file.split('/').at(-1) ?? file), name === 'model bytes' ? undefined : name);
  }
  const h5 = [...byName].filter(([key, bytes]) => /\.(h5|hdf5|keras)$/i.test(key) || startsWith(bytes, MAGIC.hdf5) || startsWith(bytes, MAGIC.zip));
  if (h5.length === 1) return specFromBytes(h5[0][1], name === 'model bytes' ? h5[0][0] : name);
  const names = [...byName.keys()].join(', ') || 'none';
  throw new ConvscopeError('E_ARGUMENT', `loadModel: the files (${names}) are not a model: expected model.json with its weight files, or one .h5 or .keras file`);
}

/**
 * A model from a model.json and a way to get the files beside it (undefined: no such file): a
 * TensorFlow.js layers model (its manifest's weight files), or a converted folder (its
 * weights.bin). `source` names model.json, or its folder, in messages.
 */
export async function specFromModelJson(json: Uint8Array, beside: ShardReader, source?: string): Promise<ModelSpec> {
  const jsonName = source === undefined ? 'model.json' : /\.json$/i.test(source) ? source : `${source.replace(/\/+$/, '')}/model.json`;
  if (isTfjsModelJson(parseJson(json, jsonName))) return specFromKeras(await readTfjsLayers(json, beside, jsonName));
  return readModelFolder({ 'model.json': json, 'weights.bin': await beside('weights.bin') }, source);
}

async function loadFromUrl(url: URL, options: LoadOptions): Promise<ModelSpec> {
  const name = options.name ?? url.href;
  if (/\.json$/i.test(url.pathname)) {
    return specFromModelJson(await fetchBytes(url, name), (file) => fetchBytes(new URL(file, url), name), name);
  }
  return specFromBytes(await fetchBytes(url, name), name);
}

async function fetchBytes(url: URL, name: string): Promise<Uint8Array> {
  if (typeof fetch !== 'function') throw new ConvscopeError('E_UNSUPPORTED', `${name}: this runtime has no fetch to load a URL; give the bytes`);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new ConvscopeError('E_IO', `${url.href}: cannot fetch (${(e as Error).message})`);
  }
  if (!response.ok) throw new ConvscopeError('E_IO', `${url.href}: HTTP ${response.status} ${response.statusText}`.trim());
  return new Uint8Array(await response.arrayBuffer());
}

/** A URL, relative ones against the page's address. */
function toUrl(source: string | URL): URL {
  if (source instanceof URL) return source;
  const location = (globalThis as { location?: { href?: string } }).location;
  try {
    return new URL(source, typeof location?.href === 'string' ? location.href : undefined);
  } catch {
    throw new ConvscopeError('E_ARGUMENT', `${describe(source)} is not a URL; to load a file by its path, import convscope in Node (its Node entry reads paths)`);
  }
}

async function asBytes(value: unknown): Promise<Uint8Array | undefined> {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof Blob === 'function' && value instanceof Blob) return new Uint8Array(await value.arrayBuffer());
  return undefined;
}

function isFile(value: unknown): value is { name: string } {
  return typeof File === 'function' && value instanceof File;
}

function isFiles(value: unknown): value is ModelFiles {
  return typeof value === 'object' && value !== null && 'files' in value && typeof value.files === 'object' && value.files !== null;
}

