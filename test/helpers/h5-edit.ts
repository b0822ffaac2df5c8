import { readFileSync } from 'node:fs';
import h5wasm from 'h5wasm';

/**
 * Damaged copies of a Keras .h5 fixture, made in h5wasm's in-memory file system: `edit` gets the
 * copy opened for writing, and the damaged file's bytes come back.
 */
let copies = 0;

export async function editH5(source: string, edit: (file: InstanceType<typeof h5wasm.File>) => void): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const path = `/h5-edit-${++copies}.h5`;
  FS.writeFile(path, readFileSync(source));
  try {
    const file = new h5wasm.File(path, 'a');
    try {
      edit(file);
    } finally {
      file.close();
    }
    return new Uint8Array(FS.readFile(path));
  } finally {
    FS.unlink(path);
  }
}

/** The model_config attribute, parsed, changed by `mutate`, and written back. */
export function editConfig(source: string, mutate: (config: any) => void): Promise<Uint8Array> {
  return editH5(source, (file) => {
    const config = JSON.parse(String(file.attrs.model_config.value));
    mutate(config);
    file.delete_attribute('model_config');
    file.create_attribute('model_config', JSON.stringify(config));
  });
}

/** Overwrites the first values of a weight dataset (`model_weights/...` path) in place. */
export function editWeight(source: string, dataset: string, values: number[]): Promise<Uint8Array> {
  return editH5(source, (file) => {
    const d = file.get(dataset) as InstanceType<typeof h5wasm.Dataset>;
    const flat = Float32Array.from(d.value as Float32Array);
    flat.set(values);
    d.write_slice(d.shape!.map((n) => [0, n]), flat);
  });
}
