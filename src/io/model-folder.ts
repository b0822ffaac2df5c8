import { Tensor } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import type { LayerSpec, ModelSpec } from '../model/spec.ts';
import { upgradeVersion1 } from './model-folder-v1.ts';
import { withSource } from '../model/with-source.ts';
import { Model } from '../model/model.ts';
import { checkModelJson, MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelJson, type WeightEntry } from './model-json-schema.ts';

export { MODEL_FORMAT, MODEL_FORMAT_VERSION };

/**
 * The converted model format: DIR/model.json (layers, shapes, channels-first, provenance) and
 * DIR/weights.bin (every weight as little-endian float32, at the offsets model.json gives).
 * This module turns a spec into the two files' bytes and back; the Node entry reads and writes
 * them as a folder (src/node/model-files.ts), a browser from URLs or File objects.
 */

/** The files of a model folder, by name. */
export type ModelFolderFiles = Record<'model.json' | 'weights.bin', Uint8Array>;

/** The two files of a spec's model folder; a spec that could not be loaded again is refused. */
export function modelFolderFiles(spec: ModelSpec, source?: string): ModelFolderFiles {
  new Model(spec, source); // a folder that could not be loaded again is never written
  let offset = 0;
  const chunks: Float32Array[] = [];
  const written = new Map<Tensor, WeightEntry>(); // a shared layer's calls share one copy
  const layers = spec.layers.map((l) => {
    const weights: Record<string, WeightEntry> = {};
    for (const [key, t] of Object.entries(l.weights)) {
      let entry = written.get(t);
      if (!entry) {
        entry = { shape: [...t.shape], offset, length: t.size };
        written.set(t, entry);
        chunks.push(t.data);
        offset += t.size;
      }
      weights[key] = entry;
    }
    return { ...l, weights };
  });
  const bin = new Uint8Array(offset * 4);
  const view = new DataView(bin.buffer);
  let at = 0;
  for (const c of chunks) for (let i = 0; i < c.length; i++, at += 4) view.setFloat32(at, c[i], true);
  const { keras: _keras, ...header } = spec; // the Keras description stays with the Keras file
  const json = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, ...header, layers };
  return { 'model.json': new TextEncoder().encode(compactJson(json) + '\n'), 'weights.bin': bin };
}

/** Indented JSON with short number lists (shapes, strides) kept on one line. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
}

/**
 * A model from the bytes of its model.json and weights.bin; `source` (the folder, or the URL of
 * its model.json) names the files in messages. model.json is checked in full before a weight is read.
 */
export function readModelFolder(files: Partial<Record<'model.json' | 'weights.bin', Uint8Array | string>>, source?: string): ModelSpec {
  const names = fileNames(source);
  const jsonBytes = files['model.json'];
  const bin = files['weights.bin'];
  if (jsonBytes === undefined) throw new ConvscopeError('E_FORMAT', `${source ?? 'model folder'}: has no model.json`);
  if (bin === undefined || typeof bin === 'string') throw new ConvscopeError('E_FORMAT', `${names.bin}: missing; a model folder has model.json and weights.bin`);
  const json = checkModelJson(parseJson(jsonBytes, names.json), bin.byteLength, names.json, names.bin);
  const tensors = new Map<string, Tensor>();
  const spec: ModelSpec = {
    name: json.name, dataFormat: json.dataFormat, inputShape: json.inputShape, provenance: json.provenance,
    layers: json.layers.map((l) => readLayer(l, bin, tensors)),
    ...(json.outputs ? { outputs: json.outputs } : {}),
  };
  return json.version === 1 ? withSource(source, () => upgradeVersion1(spec)) : spec;
}

function fileNames(source: string | undefined): { json: string; bin: string } {
  if (source === undefined) return { json: 'model.json', bin: 'weights.bin' };
  if (source.endsWith('model.json')) return { json: source, bin: `${source.slice(0, -'model.json'.length)}weights.bin` };
  const dir = source.replace(/\/+$/, '');
  return { json: `${dir}/model.json`, bin: `${dir}/weights.bin` };
}

export function parseJson(content: Uint8Array | string, file: string): unknown {
  let text: string;
  try {
    text = typeof content === 'string' ? content : new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw new ConvscopeError('E_FORMAT', `${file}: not UTF-8 text, so not a model.json`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const where = /at position \d+|line \d+ column \d+|end of JSON input/.exec((err as Error).message)?.[0];
    throw new ConvscopeError('E_FORMAT', `${file}: not valid JSON${where ? ` (${where.replace('end of JSON input', 'it ends too early')})` : ''}`);
  }
}

function readLayer(layer: ModelJson['layers'][number], bin: Uint8Array, tensors: Map<string, Tensor>): LayerSpec {
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const weights: Record<string, Tensor> = {};
  for (const [key, e] of Object.entries(layer.weights)) {
    const at = `${e.offset}:${e.length}`;
    let t = tensors.get(at);
    if (!t) {
      const data = new Float32Array(e.length);
      for (let i = 0; i < e.length; i++) data[i] = view.getFloat32((e.offset + i) * 4, true);
      t = new Tensor(e.shape, data);
      tensors.set(at, t);
    }
    weights[key] = t;
  }
  return { name: layer.name, type: layer.type, activation: layer.activation, params: layer.params, weights, ...(layer.inputs ? { inputs: layer.inputs } : {}) };
}
