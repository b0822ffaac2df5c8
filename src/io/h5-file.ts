/**
 * What every reader of Keras HDF5 data shares (a Keras 2 or Keras 3 `.h5` model, the
 * `model.weights.h5` inside a Keras 3 `.keras` archive): h5wasm loaded on first use, a file opened
 * from bytes with its damage told in one line, string attributes as Keras writes them, and weight
 * datasets read after their size is checked.
 */
import type { Dataset, Group } from 'h5wasm';
import { ConvscopeError } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import { formatShape } from '../tensor.ts';
import type { Fail } from './keras-graph.ts';
import type { KerasWeight } from './keras-model.ts';
import { describe, isPlainName } from '../model/spec-schema.ts';

/**
 * A file that is not a readable Keras model; the message starts with the file name. The code is
 * E_FORMAT for a damaged file, E_UNSUPPORTED for a well-formed one convscope cannot run.
 */
export class KerasH5Error extends ConvscopeError {
  override name = 'KerasH5Error';
}

// h5wasm (4 MB of JavaScript and wasm) is imported on the first HDF5 file, not with the library.
// Its default (ESM) build keeps its files in Emscripten's in-memory FS, so it reads bytes we were
// given on any platform. The throwing handler turns the error stacks HDF5 would print on stderr
// into exceptions.
type H5wasm = typeof import('h5wasm').default;
let h5wasm: H5wasm;
let h5wasmLoaded: Promise<Awaited<H5wasm['ready']>['FS']> | undefined;
let openCount = 0;

function loadH5wasm() {
  h5wasmLoaded ??= import('h5wasm').then(async ({ default: loaded }) => {
    const module = await loaded.ready;
    module.activate_throwing_error_handler();
    h5wasm = loaded;
    return module.FS;
  });
  return h5wasmLoaded;
}

export const isGroup = (x: unknown): x is Group => x instanceof h5wasm.Group;
export const isDataset = (x: unknown): x is Dataset => x instanceof h5wasm.Dataset;

/**
 * Opens HDF5 bytes and runs `read` on the file; `what` names the data in messages ('' for a
 * whole file, 'model.weights.h5' for an archive's member). The file is closed and its bytes
 * released afterwards, whatever happens.
 */
export async function withH5File<T>(bytes: Uint8Array, fail: Fail, read: (file: Group) => T, what = ''): Promise<T> {
  const FS = await loadH5wasm();
  const memPath = `/convscope-${++openCount}.h5`;
  const prefix = what ? `${what}: ` : '';
  FS.writeFile(memPath, bytes);
  let file: InstanceType<typeof h5wasm.File> | undefined;
  try {
    try {
      file = new h5wasm.File(memPath, 'r');
    } catch (err) {
      fail(prefix + openFailure(hdf5Reason(err)));
    }
    if (file === undefined || file.file_id < 0n) return fail(`${prefix}not an HDF5 file`);
    return read(file);
  } catch (err) {
    if (err instanceof ConvscopeError) throw err;
    return fail(`${prefix}cannot read its HDF5 data, the file may be damaged (${hdf5Reason(err)})`);
  } finally {
    if (file !== undefined && file.file_id >= 0n) closeQuietly(file);
    FS.unlink(memPath);
  }
}

/**
 * An HDF5 file built in memory by `fill`, as bytes (the writers' counterpart of withH5File);
 * `what` names it in the message of an HDF5 failure.
 */
export async function buildH5File(fill: (file: Group) => void, what: string): Promise<Uint8Array> {
  const FS = await loadH5wasm();
  const memPath = `/convscope-${++openCount}.h5`;
  try {
    const file = new h5wasm.File(memPath, 'w');
    try {
      fill(file);
    } finally {
      file.close();
    }
    return FS.readFile(memPath);
  } catch (err) {
    if (err instanceof ConvscopeError) throw err;
    throw new ConvscopeError('E_IO', `${what}: cannot write its HDF5 data (${hdf5Reason(err)})`);
  } finally {
    if (FS.analyzePath(memPath).exists) FS.unlink(memPath);
  }
}

function openFailure(reason: string): string {
  const truncated = /eof = (\d+).*stored_eof = (\d+)/.exec(reason);
  if (truncated) return `truncated HDF5 file: it has ${truncated[1]} bytes but its header says ${truncated[2]}`;
  if (/truncated/i.test(reason)) return 'truncated HDF5 file';
  if (/signature not found/i.test(reason)) return "not an HDF5 file (no HDF5 signature); expected a Keras model saved with model.save('model.h5')";
  return `cannot open it as HDF5, the file may be damaged (${reason})`;
}

/** The innermost reason in an HDF5 error stack ("#006: ... in H5F__super_read(): <reason>"). */
function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const reasons = [...text.matchAll(/#\d+:.*?\(\): (.*)$/gm)].map((m) => m[1].trim());
  return reasons.at(-1) ?? text.split('\n')[0];
}

function closeQuietly(file: InstanceType<typeof h5wasm.File>): void {
  try {
    file.close();
  } catch {
    // The file is already unusable and the caller gets the error that matters.
  }
}

export function stringAttr(obj: Group, name: string): string | undefined {
  const attrs = obj.attrs;
  const value = name in attrs ? attrs[name].value : undefined;
  return typeof value === 'string' ? value.replace(/\0+$/, '') : undefined;
}

/** A list-of-strings attribute, also in the chunked form (name0, name1, ...) Keras uses past 64 KB. */
export function stringListAttr(obj: Group, name: string): string[] | undefined {
  const attrs = obj.attrs;
  const keys = name in attrs ? [name] : [];
  if (keys.length === 0) {
    while (`${name}${keys.length}` in attrs) keys.push(`${name}${keys.length}`);
    if (keys.length === 0) return undefined;
  }
  const out: string[] = [];
  for (const key of keys) {
    const value = attrs[key].value;
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) out.push(...value.map((v) => String(v).replace(/\0+$/, '')));
    else if (!(ArrayBuffer.isView(value) && value.byteLength === 0)) return undefined;
  }
  return out;
}

/** The bytes read so far and the file's size, against which each weight's declared size is checked. */
export interface WeightBudget {
  fileBytes: number;
  total: number;
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

/**
 * One weight dataset, its size checked from its header before it is read: against the memory
 * limit (with the weights read so far), and, when it is stored uncompressed, against the file
 * (a header declaring more data than the file holds is damaged). Integer datasets (a
 * Normalization layer's sample count) are read as float32 too. `layer` and `weight` (its name in
 * the file) name it in messages.
 */
export function readWeight(dataset: Dataset, layer: string, weight: string, budget: WeightBudget, fail: Fail): KerasWeight {
  const where = `layer '${layer}': weight '${weight}'`;
  const { type, size } = dataset.metadata;
  // Integer weights are counters (Normalization's count), read as floats like the rest.
  if (!((type === H5T_FLOAT && (size === 4 || size === 8)) || (type === H5T_INTEGER && [1, 2, 4, 8].includes(size)))) {
    fail(`${where} has type ${JSON.stringify(dataset.dtype)}; expected float32 or float64 (or an integer counter)`, 'E_UNSUPPORTED');
  }
  const shape = dataset.shape ?? [];
  const bytes = shape.reduce((a, b) => a * b, 1) * size;
  if (dataset.filters.length === 0 && bytes > budget.fileBytes) {
    fail(`${where} declares shape ${formatShape(shape)} (${bytes} bytes), more than the whole file (${budget.fileBytes} bytes); the file is damaged`);
  }
  checkMemory(bytes, `layer '${layer}' weight '${weight}' ${formatShape(shape)}`);
  budget.total += (bytes / size) * 4;
  checkMemory(budget.total, "the model's weight data");
  const value = dataset.value;
  if (value instanceof Float32Array && value.length * 4 === bytes) return { shape, data: value };
  if (value instanceof Float64Array && value.length * 8 === bytes) return { shape, data: Float32Array.from(value) };
  if (shape.length === 0 && (typeof value === 'number' || typeof value === 'bigint')) return { shape, data: Float32Array.of(Number(value)) };
  if (type === H5T_INTEGER && ArrayBuffer.isView(value) && !(value instanceof DataView) && value.length * size === bytes) {
    return { shape, data: Float32Array.from(value as ArrayLike<number | bigint>, Number) };
  }
  return fail(`${where} cannot be read as ${formatShape(shape)} float values; the file may be damaged`);
}

/** Names from the file go into messages: one with a control character (a damaged byte) is refused here. */
export function plainNames(names: string[], where: string, fail: Fail): string[] {
  const bad = names.find((n) => !isPlainName(n));
  if (bad !== undefined) fail(`${where} holds the name ${describe(bad)}; expected non-empty names without control characters`);
  return names;
}
