import { ConvscopeError } from '../errors.ts';
import type { ModelSpec } from '../model/spec.ts';
import { checkSpecHeader, checkSpecLayers, isRecord, schemaFail, type CheckedLayer, type SchemaFail } from '../model/spec-schema.ts';

/**
 * The schema of a model folder's model.json, checked in full before a weight is read: the
 * format and version, the spec's own schema (model/spec-schema.ts), and each weight entry
 * {shape, offset, length} against weights.bin: offsets and lengths in float32 values, every
 * range inside the file and no two overlapping.
 */
export const MODEL_FORMAT = 'convscope-model';
/**
 * 2: graphs (each layer's `inputs`, the model's `outputs`, weights shared between a shared
 * layer's calls) and vector outputs in Keras's element order (Flatten of a channels_last map is
 * HWC). Version 1 folders (chains; Dense rows permuted to follow a CHW flatten) are read too.
 */
export const MODEL_FORMAT_VERSION = 2;

export interface WeightEntry {
  shape: number[];
  offset: number;
  length: number;
}

export interface ModelJson extends Omit<ModelSpec, 'layers'> {
  format: string;
  version: number;
  layers: (CheckedLayer & { weights: Record<string, WeightEntry> })[];
}

interface Range {
  path: string;
  start: number;
  end: number;
}

/**
 * Checks parsed model.json against weights.bin's size in bytes; `file` names model.json in
 * messages (`model.json: layers[3].weights.kernel.offset: expected ...`).
 */
export function checkModelJson(json: unknown, weightsByteLength: number, file = 'model.json', binFile = 'weights.bin'): ModelJson {
  const fail = schemaFail(file, 'E_FORMAT');
  if (!isRecord(json)) return fail('(top level)', 'an object', json);
  if (json.format !== MODEL_FORMAT) fail('format', `'${MODEL_FORMAT}' (a folder written by convscope convert)`, json.format);
  if (typeof json.version === 'number' && Number.isInteger(json.version) && json.version > MODEL_FORMAT_VERSION) {
    throw new ConvscopeError('E_UNSUPPORTED', `${file}: version ${json.version} is from a newer convscope; this one reads versions 1 to ${MODEL_FORMAT_VERSION}`);
  }
  if (json.version !== 1 && json.version !== MODEL_FORMAT_VERSION) fail('version', `1 or ${MODEL_FORMAT_VERSION}`, json.version);
  const header = checkSpecHeader(json, fail);
  const ranges: Range[] = [];
  const layers = checkSpecLayers(json.layers, fail, (entry, path) => {
    const checked = checkEntry(entry, path, fail);
    ranges.push({ path, start: checked.offset, end: checked.offset + checked.length });
    return checked.shape;
  });
  checkRanges(ranges, weightsByteLength, fail, binFile);
  const entries = (json.layers as { weights: Record<string, WeightEntry> }[]).map((l) => l.weights);
  return {
    format: MODEL_FORMAT,
    version: json.version as number,
    ...header,
    layers: layers.map((l, i) => ({ ...l, weights: entries[i] })),
  };
}

function checkEntry(entry: unknown, path: string, fail: SchemaFail): WeightEntry {
  if (!isRecord(entry)) return fail(path, 'an object {shape, offset, length}', entry);
  const { shape, offset, length } = entry;
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 4 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    fail(`${path}.shape`, 'a list of 1 to 4 positive integers', shape);
  }
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) fail(`${path}.offset`, 'a non-negative integer (in float32 values from the start of weights.bin)', offset);
  if (!Number.isSafeInteger(length) || (length as number) < 0) fail(`${path}.length`, 'a non-negative integer (in float32 values)', length);
  const product = (shape as number[]).reduce((a, b) => a * b, 1);
  if (length !== product) fail(`${path}.length`, `${product}, the product of its shape [${(shape as number[]).join(', ')}]`, length);
  return entry as unknown as WeightEntry;
}

/** Every weight inside weights.bin, and no two sharing bytes (a damaged offset would read another weight). */
function checkRanges(ranges: Range[], byteLength: number, fail: SchemaFail, binFile: string): void {
  const available = Math.floor(byteLength / 4);
  for (const r of ranges) {
    if (r.end > available) {
      fail.say(r.path, `its values ${r.start}..${r.end} end past the end of ${binFile}, which holds ${available} float32 values (${byteLength} bytes); the folder is damaged or incomplete`);
    }
  }
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const [prev, r] = [sorted[i - 1], sorted[i]];
    const shared = r.start === prev.start && r.end === prev.end; // a shared layer's calls share their weights
    if (r.start < prev.end && !shared) fail.say(r.path, `its values ${r.start}..${r.end} overlap those of ${prev.path} (${prev.start}..${prev.end}); every weight needs its own range`);
  }
}
