import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import h5wasm from 'h5wasm';

export type H5File = InstanceType<typeof h5wasm.File>;

/** Builds an HDF5 file with `fill` in h5wasm's memory and writes it to `path` whole (a temporary beside it, renamed). */
export async function writeH5(path: string, fill: (file: H5File) => void): Promise<void> {
  const h5 = await h5wasm.ready;
  const memPath = `/convscope-bench-${basename(path)}`;
  const file = new h5wasm.File(memPath, 'w');
  try {
    fill(file);
  } finally {
    file.close();
  }
  const bytes = h5.FS.readFile(memPath);
  h5.FS.unlink(memPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}
