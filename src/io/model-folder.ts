import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import type { LayerSpec, ModelSpec } from '../model/spec.ts';
import { Model } from '../model/model.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { checkModelJson, MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelJson, type WeightEntry } from './model-json-schema.ts';

export { MODEL_FORMAT, MODEL_FORMAT_VERSION };

/**
 * The converted model format: DIR/model.json (layers, shapes, channels-first, provenance) and
 * DIR/weights.bin (every weight as little-endian float32, at the offsets model.json gives).
 */
export function writeModelFolder(spec: ModelSpec, dir: string): void {
  new Model(spec); // a folder that could not be loaded again is never written
  mkdirSync(dir, { recursive: true });
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
  const json = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, ...spec, layers };
  // weights first: a folder whose model.json exists is complete
  writeFileAtomic(join(dir, 'weights.bin'), bin);
  writeFileAtomic(join(dir, 'model.json'), compactJson(json) + '\n');
}

/** Indented JSON with short number lists (shapes, strides) kept on one line. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
}

export function isModelFolder(dir: string): boolean {
  return existsSync(join(dir, 'model.json'));
}

export function readModelFolder(dir: string): ModelSpec {
  const read = (name: string): Uint8Array => {
    try {
      return readFileSync(join(dir, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConvscopeError(code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO', `${join(dir, name)}: ${code === 'ENOENT' ? 'missing; a model folder has model.json and weights.bin' : `cannot be read (${code ?? String(err)})`}`);
    }
  };
  return parseModelFolder({ 'model.json': read('model.json'), 'weights.bin': read('weights.bin') }, dir);
}

/**
 * A model folder's spec from the bytes of its two files; `folder` (a path or a name) labels the
 * files in messages. model.json is checked in full before any weight is read.
 */
export function parseModelFolder(files: { 'model.json': Uint8Array | string; 'weights.bin': Uint8Array }, folder?: string): ModelSpec {
  const label = (name: string) => (folder === undefined ? name : `${folder.replace(/\/+$/, '')}/${name}`);
  const json = checkModelJson(parseJson(files['model.json'], label('model.json')), files['weights.bin'].byteLength, label('model.json'), label('weights.bin'));
  return { name: json.name, dataFormat: json.dataFormat, inputShape: json.inputShape, provenance: json.provenance, layers: json.layers.map((l) => readLayer(l, files['weights.bin'])) };
}

function parseJson(content: Uint8Array | string, file: string): unknown {
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

function readLayer(layer: ModelJson['layers'][number], bin: Uint8Array): LayerSpec {
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const weights: Record<string, Tensor> = {};
  for (const [key, e] of Object.entries(layer.weights)) {
    const data = new Float32Array(e.length);
    for (let i = 0; i < e.length; i++) data[i] = view.getFloat32((e.offset + i) * 4, true);
    weights[key] = new Tensor(e.shape, data);
  }
  return { name: layer.name, type: layer.type, activation: layer.activation, params: layer.params, weights };
}
