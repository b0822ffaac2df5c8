import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModelSpec as loadSpecFrom, specFromModelJson, type LoadOptions, type ModelSource } from '../model/load.ts';
import { Model } from '../model/model.ts';
import type { ModelSpec } from '../model/spec.ts';
import { ConvscopeError } from '../errors.ts';
import { isFolder, readRegularFile } from './files.ts';

/** What the Node entry loads a model from: a path (file or converted folder), a file: URL, or anything the core takes. */
export type NodeModelSource = ModelSource | string;

/**
 * Loads a model from a path: a Keras `.h5` or `.keras` file, a TensorFlow.js layers model (its
 * model.json, or the folder that holds it and its weight files) or a folder written by
 * `convscope convert`;
 * `http(s):` URLs are fetched, and bytes or `{ files }` go to the core as they are.
 *
 *   const model = await loadModel('mnist_model.h5');
 */
export async function loadModel(source: NodeModelSource, options: LoadOptions = {}): Promise<Model> {
  return new Model(await loadModelSpec(source, options), options.name ?? localPath(source) ?? (typeof source === 'string' ? source : source instanceof URL ? source.href : undefined));
}

export async function loadModelSpec(source: NodeModelSource, options: LoadOptions = {}): Promise<ModelSpec> {
  const path = localPath(source);
  if (path === undefined) return loadSpecFrom(source, options);
  const name = options.name ?? path;
  if (path === '') throw new ConvscopeError('E_ARGUMENT', `the model path is empty; give ${VALID}`);
  // A converted folder's weights.bin missing is the folder's fault; a tfjs weight file missing, the manifest's reader names it.
  if (isFolder(path)) return specFromModelJson(readInFolder(path, 'model.json'), (file) => (file === 'weights.bin' ? readInFolder(path, file) : readBeside(path, file)), name);
  const bytes = readRegularFile(path);
  if (bytes[0] === 0x7b || /\.json$/i.test(path)) return specFromModelJson(bytes, (file) => readBeside(dirname(path), file), name);
  return loadSpecFrom(bytes, { name });
}

const VALID = "a Keras .h5 or .keras file, a TensorFlow.js model.json or a folder written by 'convscope convert'";

function readInFolder(dir: string, file: string): Uint8Array {
  try {
    return readRegularFile(join(dir, file));
  } catch (e) {
    if (e instanceof ConvscopeError && e.code === 'E_NOT_FOUND') throw new ConvscopeError('E_NOT_FOUND', `${dir}: a folder without ${file}; give ${VALID}`);
    throw e;
  }
}

/** A file beside model.json, or undefined when there is none (the model's reader says which file is missing). */
function readBeside(dir: string, file: string): Uint8Array | undefined {
  try {
    return readRegularFile(join(dir, file));
  } catch (e) {
    if (e instanceof ConvscopeError && e.code === 'E_NOT_FOUND') return undefined;
    throw e;
  }
}

/** The file system path a source names, or undefined for a source the core loads. */
function localPath(source: NodeModelSource): string | undefined {
  if (source instanceof URL) return source.protocol === 'file:' ? fileURLToPath(source) : undefined;
  if (typeof source !== 'string') return undefined;
  if (/^https?:\/\//i.test(source)) return undefined;
  return source.startsWith('file:') ? fileURLToPath(source) : source;
}
