/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), C order only.
 * Reads float32/float64/int8/int16/int32/int64/uint8/uint16/bool in either byte order;
 * writes little-endian float32 or int32 exactly as np.save does.
 */
import { Tensor, sizeOf, formatShape, checkShape } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { checkMemory, formatBytes } from '../limits.ts';
import { argumentError, describe } from '../check.ts';import { MAGIC, startsWith } from './magic.ts';


export type NpyData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | BigInt64Array;

export interface NpyArray {
  shape: number[];
  data: NpyData;
  /** NumPy's name for the element type: 'float32', 'int64', 'bool', ... */
  dtype: string;
}

interface DtypeInfo {
  name: string;
  size: number;
  view: (buffer: ArrayBuffer, count: number) => NpyData;
}

const DTYPES: Record<string, DtypeInfo> = {
  f4: { name: 'float32', size: 4, view: (b, n) => new Float32Array(b, 0, n) },
  f8: { name: 'float64', size: 8, view: (b, n) => new Float64Array(b, 0, n) },
  i1: { name: 'int8', size: 1, view: (b, n) => new Int8Array(b, 0, n) },
  i2: { name: 'int16', size: 2, view: (b, n) => new Int16Array(b, 0, n) },
  i4: { name: 'int32', size: 4, view: (b, n) => new Int32Array(b, 0, n) },
  i8: { name: 'int64', size: 8, view: (b, n) => new BigInt64Array(b, 0, n) },
  u1: { name: 'uint8', size: 1, view: (b, n) => new Uint8Array(b, 0, n) },
  u2: { name: 'uint16', size: 2, view: (b, n) => new Uint16Array(b, 0, n) },
  b1: { name: 'bool', size: 1, view: (b, n) => new Uint8Array(b, 0, n) },
};

const SUPPORTED = `${Object.values(DTYPES).map((d) => d.name).join(', ')} (little- or big-endian, C order)`;
const HOST_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Parses the bytes of a .npy file. `source` names the file in error messages. */
export function parseNpy(bytes: Uint8Array, source = '.npy data'): NpyArray {
  if (!(bytes instanceof Uint8Array)) throw argumentError(`the .npy bytes must be a Uint8Array, not ${describe(bytes)}`);
  const fail: (problem: string) => never = (problem) => {
    throw new ConvscopeError('E_FORMAT', `${source}: ${problem}`);
  };
  if (bytes.length < 10 || !startsWith(bytes, MAGIC.npy)) fail('not a .npy file (it does not start with \\x93NUMPY)');
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${bytes[7]} (1.0, 2.0 and 3.0 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) fail('truncated .npy header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (bytes.length < start + headerLength) fail(`truncated .npy header (${headerLength} bytes announced, ${bytes.length - start} present)`);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  if (descr === undefined) fail(`unsupported dtype in header ${header.trim()}; supported: ${SUPPORTED}`);
  const order = descr[0];
  const dtype = DTYPES[descr.slice(1)];
  if (!'<>|='.includes(order) || dtype === undefined || (order === '|' && dtype.size > 1)) {
    fail(`unsupported dtype '${descr}'; supported: ${SUPPORTED}`);
  }
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  if (fortran === undefined) fail(`header has no fortran_order: ${header.trim()}`);
  if (fortran === 'True') fail('array is in Fortran (column-major) order; only C order is supported (save np.ascontiguousarray(a))');
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) fail(`header has no shape: ${header.trim()}`);
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = dims.map((d) => (/^\d+L?$/.test(d) ? parseInt(d, 10) : NaN));
  if (!shape.every((d) => Number.isSafeInteger(d))) {
    fail(`damaged header: the shape (${shapeText}) is not a tuple of whole numbers >= 0`);
  }

  const count = sizeOf(shape);
  const offset = start + headerLength;
  const nbytes = count * dtype.size;
  if (bytes.length - offset < nbytes) {
    fail(`truncated data: a ${dtype.name} array of shape ${formatShape(shape)} needs ${Number.isSafeInteger(nbytes) ? `${nbytes} bytes` : formatBytes(nbytes)} but the file holds ${bytes.length - offset}`);
  }
  // The copy below, and the float32 tensor most callers make of it.
  checkMemory(nbytes + count * 4, `${source}: a ${dtype.name} array of shape ${formatShape(shape)}`);
  const copy = new Uint8Array(nbytes); // a fresh aligned buffer (Buffer#slice would only be a view)
  copy.set(bytes.subarray(offset, offset + nbytes));
  if (dtype.size > 1 && (order === '>') !== HOST_BIG_ENDIAN && order !== '=') swapBytes(copy, dtype.size);
  return { shape, data: dtype.view(copy.buffer, count), dtype: dtype.name };
}

/** A .npy file's bytes as a float32 Tensor, converting other dtypes. */
export function parseNpyTensor(bytes: Uint8Array, source = '.npy data'): Tensor {
  const { shape, data } = parseNpy(bytes, source);
  if (data instanceof Float32Array) return new Tensor(shape, data);
  if (data instanceof BigInt64Array) return new Tensor(shape, Float32Array.from(data, (v) => Number(v)));
  return new Tensor(shape, Float32Array.from(data));
}

/** The bytes np.save would write for a C-order float32 ('<f4') or int32 ('<i4') array. */
export function toNpy(shape: readonly number[], data: Float32Array | Int32Array): Uint8Array {
  if (!(data instanceof Float32Array || data instanceof Int32Array)) throw argumentError(`the data to write as .npy must be a Float32Array or an Int32Array, not ${describe(data)}`);
  if (checkShape(shape) !== data.length) throw new ConvscopeError('E_SHAPE', `shape ${formatShape(shape)} needs ${sizeOf(shape)} values but got ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  // np.save leaves room for the first axis to grow in place; matching it keeps our files byte-identical.
  if (shape.length > 0) header += ' '.repeat(21 - String(shape[0]).length);
  const padFor = (prefix: number): number => 64 - ((prefix + header.length + 1) % 64);
  const v1 = header.length + 1 + padFor(10) <= 0xffff;
  const prefix = v1 ? 10 : 12;
  const pad = padFor(prefix);
  header += ' '.repeat(pad) + '\n';
  const out = new Uint8Array(prefix + header.length + data.byteLength);
  out.set(MAGIC.npy);
  out[6] = v1 ? 1 : 2;
  const view = new DataView(out.buffer);
  if (v1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (HOST_BIG_ENDIAN) swapBytes(body, 4);
  out.set(body, prefix + header.length);
  return out;
}
