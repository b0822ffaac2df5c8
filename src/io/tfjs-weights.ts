import type { ErrorCode } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import { describe, isPlainName, isRecord } from '../model/spec-schema.ts';
import { float16ToFloat32 } from './float16.ts';
import type { KerasWeight } from './keras-model.ts';

/**
 * A TensorFlow.js weights manifest (`weightsManifest` of a model.json) and the weights its
 * files hold, decoded as tfjs-core's io_utils decodeWeights does: each group's files are one
 * byte stream, split into its weights in manifest order; float32 and int32 as little-endian
 * values; quantized weights stored as uint8/uint16 (value * scale + min, computed in double
 * and rounded once to float32, or to the nearest integer for int32) or as IEEE half floats.
 */

export type Fail = (message: string, code?: ErrorCode) => never;

type StoredDtype = 'float32' | 'int32' | 'uint8' | 'uint16' | 'float16';

export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  /** How the values are stored: the dtype itself, or the quantization's. */
  stored: StoredDtype;
  scale: number;
  min: number;
}

export interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

/** Gives a weight file's bytes by its path as the manifest writes it (relative to model.json); undefined when there is no such file. */
export type ShardReader = (path: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

const BYTES: Record<StoredDtype, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };
const TFJS_DTYPES = ['float32', 'int32', 'bool', 'complex64', 'string'];
const QUANTIZED = ['uint8', 'uint16', 'float16'];

/** The manifest checked in full (names, shapes, dtypes, quantization, file names) before a file is read. */
export function checkManifest(manifest: unknown, fail: Fail): ManifestGroup[] {
  if (!Array.isArray(manifest)) return fail(`weightsManifest is ${describe(manifest)}; expected a list of {paths, weights} groups`);
  const seen = new Set<string>();
  return manifest.map((group: unknown, g) => {
    const where = `weightsManifest[${g}]`;
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) return fail(`${where} is not a {paths, weights} group`);
    const paths = group.paths.map((p: unknown) => checkPath(p, where, fail));
    const weights = group.weights.map((w: unknown, i: number) => checkWeight(w, `${where}.weights[${i}]`, fail));
    for (const w of weights) {
      if (seen.has(w.name)) fail(`weightsManifest lists the weight '${w.name}' twice`);
      seen.add(w.name);
    }
    if (paths.length === 0 && weights.some((w) => w.shape.every((d) => d > 0))) fail(`${where} lists weights but no files for them`);
    return { paths, weights };
  });
}

/** A file name relative to model.json; one that leaves its folder ('..', '/x', 'http:') is refused. */
function checkPath(path: unknown, where: string, fail: Fail): string {
  if (!isPlainName(path)) return fail(`${where}.paths holds ${describe(path)}; expected file names`);
  const parts = path.replace(/^(\.\/)+/, '').split('/');
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/') || parts.some((p) => p === '..' || p === '' || p === '.')) {
    fail(`${where}.paths holds '${path}'; convscope reads weight files that sit beside model.json (or below it), not '${path}'`, 'E_UNSUPPORTED');
  }
  return parts.join('/');
}

function checkWeight(entry: unknown, where: string, fail: Fail): ManifestWeight {
  if (!isRecord(entry)) return fail(`${where} is ${describe(entry)}; expected {name, shape, dtype}`);
  const { name, shape, dtype, quantization } = entry;
  if (!isPlainName(name)) return fail(`${where}.name is ${describe(name)}; expected a weight name`);
  const label = `the manifest's weight '${name}'`;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`${label} has the shape ${describe(shape)}; expected a list of whole numbers`);
  if (typeof dtype !== 'string' || !TFJS_DTYPES.includes(dtype)) return fail(`${label} has dtype ${describe(dtype)}; expected one of ${TFJS_DTYPES.join(', ')}`);
  if (dtype !== 'float32' && dtype !== 'int32') return fail(`${label} has dtype '${dtype}'; convscope reads float32 and int32 weights`, 'E_UNSUPPORTED');
  const weight: ManifestWeight = { name, shape, dtype, stored: dtype, scale: 1, min: 0 };
  if (quantization === undefined || quantization === null) return weight;
  if (!isRecord(quantization) || typeof quantization.dtype !== 'string' || !QUANTIZED.includes(quantization.dtype)) {
    return fail(`${label} has the quantization ${describe(isRecord(quantization) ? quantization.dtype : quantization)}; expected uint8, uint16 or float16`);
  }
  weight.stored = quantization.dtype as StoredDtype;
  if (weight.stored === 'float16') {
    if (dtype !== 'float32') fail(`${label} is an int32 weight quantized to float16; tfjs quantizes only float32 weights to float16`);
    return weight;
  }
  const { scale, min } = quantization;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || typeof min !== 'number' || !Number.isFinite(min)) {
    return fail(`${label} is quantized to ${weight.stored} without a finite scale and min (scale ${describe(scale)}, min ${describe(min)})`);
  }
  return { ...weight, scale, min };
}

/**
 * Every weight of the manifest, decoded from the files `read` gives. A file that cannot be read
 * is named; a group whose files hold fewer or more bytes than its weights take is refused.
 */
export async function readManifestWeights(groups: ManifestGroup[], read: (path: string) => Promise<Uint8Array>, fail: Fail): Promise<Map<string, KerasWeight>> {
  const floats = groups.reduce((n, g) => n + g.weights.reduce((m, w) => m + size(w), 0), 0);
  checkMemory(floats * 4, "the model's weight data");
  const out = new Map<string, KerasWeight>();
  for (const [g, group] of groups.entries()) {
    const files: Uint8Array[] = [];
    for (const path of group.paths) files.push(await read(path));
    const bytes = concat(files);
    const needed = group.weights.reduce((n, w) => n + size(w) * BYTES[w.stored], 0);
    if (bytes.length < needed) {
      fail(`${shortFile(group.paths, files)} is short: the weights of group ${g + 1} take ${needed} bytes but its files (${group.paths.join(', ')}) hold ${bytes.length}; a file is truncated`);
    }
    if (bytes.length > needed) {
      fail(`the files of weight group ${g + 1} (${group.paths.join(', ')}) hold ${bytes.length} bytes but its weights take ${needed}; they do not belong to this model.json`);
    }
    let offset = 0;
    for (const w of group.weights) {
      out.set(w.name, { shape: w.shape, data: decode(w, bytes, offset) });
      offset += size(w) * BYTES[w.stored];
    }
  }
  return out;
}

const size = (w: ManifestWeight): number => w.shape.reduce((a, b) => a * b, 1);

/** The converter writes every file of a group but the last at the same size: the short one is the first that falls below it, else the last. */
function shortFile(paths: string[], files: Uint8Array[]): string {
  const short = files.findIndex((f, i) => i > 0 && i < files.length - 1 && f.length < files[0].length);
  return paths[short >= 0 ? short : paths.length - 1] ?? 'a weight file';
}

function concat(files: Uint8Array[]): Uint8Array {
  if (files.length === 1) return files[0];
  const out = new Uint8Array(files.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of files) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function decode(w: ManifestWeight, bytes: Uint8Array, offset: number): Float32Array {
  const n = size(w);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * BYTES[w.stored]);
  const out = new Float32Array(n);
  const round = w.dtype === 'int32' ? Math.round : (v: number) => v;
  switch (w.stored) {
    case 'float32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'uint8':
      for (let i = 0; i < n; i++) out[i] = round(view.getUint8(i) * w.scale + w.min);
      break;
    case 'uint16':
      for (let i = 0; i < n; i++) out[i] = round(view.getUint16(i * 2, true) * w.scale + w.min);
      break;
    case 'float16':
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
      break;
  }
  return out;
}
