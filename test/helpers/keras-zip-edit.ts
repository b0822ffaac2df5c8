import { readFileSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import h5wasm from 'h5wasm';

/**
 * Damaged copies of a Keras 3 `.keras` fixture: its members by name, changed by `edit` (delete one,
 * replace one), zipped again stored as Keras stores them.
 */
export function editKeras(source: string, edit: (members: Record<string, Uint8Array>) => void): Uint8Array {
  const members = unzipSync(new Uint8Array(readFileSync(source)));
  edit(members);
  const stored: Zippable = {};
  for (const [name, data] of Object.entries(members)) stored[name] = [data, { level: 0 }];
  return zipSync(stored);
}

let copies = 0;

/**
 * A copy of HDF5 bytes without the groups/datasets under `skip`, plus float32 datasets `add`
 * (path -> values), rebuilt in h5wasm's in-memory file system (h5wasm cannot delete a group).
 */
export async function copyH5(bytes: Uint8Array, skip: string[], add: Record<string, number[]> = {}): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const from = `/keras-zip-edit-${++copies}-from.h5`;
  const to = `/keras-zip-edit-${copies}-to.h5`;
  FS.writeFile(from, bytes);
  const source = new h5wasm.File(from, 'r');
  const target = new h5wasm.File(to, 'w');
  const copy = (src: InstanceType<typeof h5wasm.Group>, dst: InstanceType<typeof h5wasm.Group>, at: string) => {
    for (const [key, attr] of Object.entries(src.attrs)) if (typeof attr.value === 'string') dst.create_attribute(key, attr.value);
    for (const key of src.keys()) {
      const path = at ? `${at}/${key}` : key;
      if (skip.includes(path)) continue;
      const child = src.get(key);
      if (child instanceof h5wasm.Group) copy(child, dst.create_group(key), path);
      else if (child instanceof h5wasm.Dataset) dst.create_dataset({ name: key, data: child.value as Float32Array, shape: child.shape, dtype: child.dtype });
    }
  };
  try {
    copy(source, target, '');
    for (const [path, values] of Object.entries(add)) target.create_dataset({ name: path, data: Float32Array.from(values), shape: [values.length], dtype: '<f' });
    target.close();
    return new Uint8Array(FS.readFile(to));
  } finally {
    source.close();
    FS.unlink(from);
    FS.unlink(to);
  }
}
