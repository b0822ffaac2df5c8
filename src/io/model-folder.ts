import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../tensor.ts';
import type { LayerSpec, ModelSpec } from '../model/spec.ts';
import { writeFileAtomic } from './atomic-write.ts';

/**
 * The converted model format: DIR/model.json (layers, shapes, channels-first, provenance) and
 * DIR/weights.bin (every weight as little-endian float32, at the offsets model.json gives).
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

export function writeModelFolder(spec: ModelSpec, dir: string): void {
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
  const json: ModelJson = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, ...spec, layers };
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
  const fail = (message: string): never => {
    throw new Error(`${dir}: ${message}`);
  };
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  } catch (e) {
    return fail(`model.json cannot be read: ${(e as Error).message}`);
  }
  if (json.format !== MODEL_FORMAT || json.version !== MODEL_FORMAT_VERSION) {
    fail(`model.json is not a ${MODEL_FORMAT} version ${MODEL_FORMAT_VERSION} file`);
  }
  const bin = readFileSync(join(dir, 'weights.bin'));
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
