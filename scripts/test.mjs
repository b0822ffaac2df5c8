// Runs the type check and every test/**/*.test.ts with uvu, then prints the closing line
// "N passed, N failed" that CI reads (uvu's own summary is in another form). Where this Node
// validates the relaxed SIMD build only behind a flag (Node 20), a full run then runs the
// kernel tests again under that flag, so that the relaxed kernels are golden-tested too.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { findChromium } from '../test/browser/find-chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filter = process.argv[2] ?? '\\.test\\.ts$';
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const KERNEL_TESTS = '(golden-kernels|depthwise-conv2d|adam-kernel|kernels-agree|wasm-kernel-paths|wasm-builds|wasm-threads)\\.test\\.ts$';

if (!existsSync(join(root, 'build', 'convscope.simd.wasm')) || !existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('build output missing: run `npm install` (or `npm run build`) first');
  process.exit(1);
}

let failed = 0;
let passed = 0;

if (!process.env.CONVSCOPE_SKIP_TYPECHECK) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', root], { stdio: 'inherit' });
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

// The browser tests (test/browser/) drive the machine's Chromium; without one they are skipped.
const ignoreBrowser = findChromium() === null ? ['-i', '^browser[\\/]'] : [];
if (ignoreBrowser.length > 0) console.log('browser tests: skipped: no Chromium (apt-get install chromium, or set CONVSCOPE_CHROMIUM)');

function uvu(nodeFlags, pattern) {
  const run = spawnSync(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', join(root, 'node_modules', 'uvu', 'bin.js'), 'test', pattern, ...ignoreBrowser],
    { cwd: root, encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 },
  );
  process.stdout.write(run.stdout ?? '');
  process.stderr.write(run.stderr ?? '');
  const total = Number(/Total:\s+(\d+)/.exec(run.stdout ?? '')?.[1] ?? NaN);
  const done = Number(/Passed:\s+(\d+)/.exec(run.stdout ?? '')?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(run.stdout ?? '')?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(done)) {
    console.log('uvu did not report a summary (crashed before or while running the tests)');
    failed += 1;
  } else {
    passed += done;
    failed += total - done - skipped;
    if (run.status !== 0 && total - done - skipped === 0) failed += 1;
  }
}

// Whether a Node started with these flags validates the relaxed build.
function relaxedValidates(nodeFlags) {
  const wasm = join(root, 'build', 'convscope.relaxed.wasm');
  if (!existsSync(wasm)) return false;
  const script = `process.exit(WebAssembly.validate(require('node:fs').readFileSync(${JSON.stringify(wasm)})) ? 0 : 1)`;
  return spawnSync(process.execPath, [...nodeFlags, '-e', script]).status === 0;
}

uvu([], filter);
if (process.argv[2] === undefined && !relaxedValidates([]) && relaxedValidates([RELAXED_FLAG])) {
  console.log(`\nrelaxed SIMD: the kernel tests again, under ${RELAXED_FLAG}`);
  uvu([RELAXED_FLAG], KERNEL_TESTS);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
