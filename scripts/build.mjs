// Builds what the project runs from: the wasm kernels (scalar, SIMD, relaxed SIMD, and SIMD on a
// shared memory for two threads: builds of the same AssemblyScript source) and the bundled
// JavaScript for the CLI and the library.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

mkdirSync(join(root, 'build'), { recursive: true });
for (const target of ['simd', 'relaxed', 'scalar', 'threads']) {
  run(bin('asc'), ['assembly/index.ts', '--config', 'asconfig.json', '--target', target]);
}
const esbuildArgs = ['--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', '--outdir=dist'];
run(bin('esbuild'), ['index=src/index.ts', 'cli=src/cli/main.ts', ...esbuildArgs, '--log-level=warning']);
