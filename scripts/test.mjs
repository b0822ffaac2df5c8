// Runs the type check and every test/**/*.test.ts with uvu, then prints the closing line
// "N passed, N failed" that CI reads (uvu's own summary is in another form).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filter = process.argv[2] ?? '\\.test\\.ts$';

if (!existsSync(join(root, 'build', 'convscope.simd.wasm')) || !existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('build output missing: run `npm install` (or `npm run build`) first');
  process.exit(1);
}

let failed = 0;
let passed = 0;

if (!process.env.CONVSCOPE_SKIP_TYPECHECK) {
  const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', root], { stdio: 'inherit' });
  if (tsc.status === 0) {
    passed += 1;
    console.log('typecheck: ok');
  } else {
    failed += 1;
    console.log('typecheck: FAILED');
  }
}

const env = { ...process.env, NO_COLOR: '1' };
delete env.FORCE_COLOR;
const uvu = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(root, 'node_modules', 'uvu', 'bin.js'), 'test', filter],
  { cwd: root, encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 },
);
process.stdout.write(uvu.stdout ?? '');
process.stderr.write(uvu.stderr ?? '');
const total = Number(/Total:\s+(\d+)/.exec(uvu.stdout ?? '')?.[1] ?? NaN);
const done = Number(/Passed:\s+(\d+)/.exec(uvu.stdout ?? '')?.[1] ?? NaN);
const skipped = Number(/Skipped:\s+(\d+)/.exec(uvu.stdout ?? '')?.[1] ?? 0);
if (Number.isNaN(total) || Number.isNaN(done)) {
  console.log('uvu did not report a summary (crashed before or while running the tests)');
  failed += 1;
} else {
  passed += done;
  failed += total - done - skipped;
  if (uvu.status !== 0 && total - done - skipped === 0) failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
