// The browser app's download, gzipped as a static host serves it: what a first visit loads (the
// page, its worker and shared chunks, styles; the shipped model and digits aside) and the HDF5
// reader, a chunk of its own that loads with the first .h5 or .keras file only.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface AppSize {
  file: string;
  bytes: number;
  gzipped: number;
}

export function appSizes(appDir: string): { firstVisit: AppSize[]; hdf5: AppSize[] } {
  const files = readdirSync(appDir).filter((f) => /\.(js|css|html)$/.test(f));
  const sizes = files.map((file) => {
    const bytes = readFileSync(join(appDir, file));
    return { file, bytes: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
  });
  return { firstVisit: sizes.filter((s) => !s.file.startsWith('hdf5_hl')), hdf5: sizes.filter((s) => s.file.startsWith('hdf5_hl')) };
}

export function appSizeReport(appDir: string): string {
  const { firstVisit, hdf5 } = appSizes(appDir);
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const sum = (list: AppSize[], key: 'bytes' | 'gzipped') => list.reduce((n, s) => n + s[key], 0);
  return [
    `App bundle (dist/app, gzip -9): first visit ${kb(sum(firstVisit, 'gzipped'))} gzipped (${kb(sum(firstVisit, 'bytes'))} raw: ${firstVisit.map((s) => `${s.file} ${kb(s.gzipped)}`).join(', ')}); goal under 1024 KB`,
    `  the HDF5 reader (h5wasm), loaded with the first .h5/.keras only: ${kb(sum(hdf5, 'gzipped'))} gzipped (${kb(sum(hdf5, 'bytes'))} raw)`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(appSizeReport(join(import.meta.dirname, '..', 'dist', 'app')));
