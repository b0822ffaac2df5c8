import { Tensor } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import type { LayerSpec, ModelSpec } from '../model/spec.ts';

/**
 * The converted model format: DIR/model.json (layers, shapes, channels-first, provenance) and
 * DIR/weights.bin (every weight as little-endian float32, at the offsets model.json gives).
 * This module turns a spec into the two files' bytes and back; the Node entry reads and writes
 * them as a folder (src/node/model-files.ts), a browser from URLs or File objects.
 */
export const MODEL_FORMAT = 'convscope-model';
export const MODEL_FORMAT_VERSION = 1;

interface WeightEntry {
  shape: number[];
  offset: number;
  length: number;
}

interface ModelJson extends Omit<ModelSpec, 'layers'> {
  format: string;
  version: number;
  layers: (Omit<LayerSpec, 'weights'> & { weights: Record<string, WeightEntry> })[];
}

/** The files of a model folder, by name. */
export type ModelFolderFiles = Record<'model.json' | 'weights.bin', Uint8Array>;

export function modelFolderFiles(spec: ModelSpec): ModelFolderFiles {
  let offset = 0;
  const chunks: Float32Array[] = [];
  const layers = spec.layers.map((l) => {
    const weights: Record<string, WeightEntry> = {};
    for (const [key, t] of Object.entries(l.weights)) {
      weights[key] = { shape: [...t.shape], offset, length: t.size };
      chunks.push(t.data);
      offset += t.size;
    }
    return { ...l, weights };
  });
  const bin = new Uint8Array(offset * 4);
  const view = new DataView(bin.buffer);
  let at = 0;
  for (const c of chunks) for (let i = 0; i < c.length; i++, at += 4) view.setFloat32(at, c[i], true);
  const json: ModelJson = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, ...spec, layers };
  return { 'model.json': new TextEncoder().encode(compactJson(json) + '\n'), 'weights.bin': bin };
}

/** Indented JSON with short number lists (shapes, strides) kept on one line. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
}

/** A model from the bytes of its model.json and weights.bin; `source` (the folder) names it in messages. */
export function readModelFolder(files: Partial<ModelFolderFiles>, source = 'model folder'): ModelSpec {
  const dir = source;
  const fail = (message: string): never => {
    throw new ConvscopeError('E_FORMAT', `${dir}: ${message}`);
  };
  const jsonBytes = files['model.json'];
  const bin = files['weights.bin'];
  if (jsonBytes === undefined) return fail('has no model.json');
  if (bin === undefined) return fail('has a model.json but no weights.bin');
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes));
  } catch (e) {
    return fail(`model.json is not valid JSON (${(e as Error).message})`);
  }
  if (json.format !== MODEL_FORMAT || json.version !== MODEL_FORMAT_VERSION) {
    fail(`model.json is not a ${MODEL_FORMAT} version ${MODEL_FORMAT_VERSION} file`);
  }
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const layers: LayerSpec[] = json.layers.map((l) => {
    const weights: Record<string, Tensor> = {};
    for (const [key, e] of Object.entries(l.weights)) {
      if ((e.offset + e.length) * 4 > bin.byteLength) fail(`weights.bin is too short for weight '${key}' of layer '${l.name}'`);
      const data = new Float32Array(e.length);
      for (let i = 0; i < e.length; i++) data[i] = view.getFloat32((e.offset + i) * 4, true);
      weights[key] = new Tensor(e.shape, data);
    }
    return { ...l, weights };
  });
  const { format: _f, version: _v, ...rest } = json;
  return { ...rest, layers };
}
