// The package as a user installs it: `npm pack` (with the manifest the prepack script publishes),
// the tarball unpacked into a fresh folder's node_modules with its dependencies beside it (linked
// from this checkout's node_modules, so nothing is fetched), then every way of using it: the CLI,
// an ESM script, import() and require() from CommonJS, TypeScript consumers under the strictest
// flags (NodeNext and Bundler, TypeScript 5.4 and current), and esbuild bundles for Node and for
// browsers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root } from './helpers/cli.ts';

const work = mkdtempSync(join(tmpdir(), 'convscope-package-'));
const consumer = join(work, 'consumer');
const installed = join(consumer, 'node_modules', 'convscope');
const digit = join(root, 'examples', 'digit-7.png');
mkdirSync(join(consumer, 'node_modules', '.bin'), { recursive: true });

const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete env.FORCE_COLOR;

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, cwd: consumer, env, ...opts });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function ok(r: { status: number | null; stdout: string; stderr: string }, what: string): string {
  assert.is(r.status, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The tarball npm would publish: npm's own file selection, the stripped manifest, `npm pack`. */
function pack(): string {
  const listed = JSON.parse(ok(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root }), 'npm pack --dry-run'));
  const stage = join(work, 'stage');
  for (const { path } of listed[0].files as { path: string }[]) {
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    cpSync(join(root, path), join(stage, path));
  }
  ok(run(process.execPath, [join(root, 'scripts', 'pack-manifest.mjs'), 'strip', stage]), 'strip the manifest');
  rmSync(join(stage, '.package.json.orig'));
  const packed = JSON.parse(ok(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: stage }), 'npm pack'));
  return join(work, packed[0].filename);
}

const tarball = pack();
ok(run('tar', ['-xzf', tarball, '-C', work]), 'untar');
cpSync(join(work, 'package'), installed, { recursive: true });
const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
// What npm install would put beside it: the dependencies (and theirs), and the bin link.
for (const name of readdirSync(join(root, 'node_modules'))) {
  if (name.startsWith('.') || existsSync(join(consumer, 'node_modules', name))) continue;
  symlinkSync(join(root, 'node_modules', name), join(consumer, 'node_modules', name));
}
symlinkSync(join('..', 'convscope', manifest.bin.convscope), join(consumer, 'node_modules', '.bin', 'convscope'));
writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));

test('the tarball: built JavaScript, declarations, wasm, the shipped model; no sources, no .wat, no scripts', () => {
  const files = readdirSync(installed, { recursive: true }).map(String);
  for (const f of ['dist/index.js', 'dist/node.js', 'dist/cli.js', 'dist/types/index.d.ts', 'dist/types/node.d.ts',
    'build/convscope.simd.wasm', 'weights/mnist-cnn/model.json', 'weights/mnist-cnn/weights.bin', 'examples/digit-7.png']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.equal(files.filter((f) => /\.wat$|^src\/|^scripts\/|^test\/|^bench\//.test(f)), []);
  assert.is(manifest.scripts, undefined, 'no scripts (prepare would name a file the tarball does not have)');
  assert.is(manifest.devDependencies, undefined);
  for (const dep of Object.keys(manifest.dependencies)) assert.ok(existsSync(join(root, 'node_modules', dep)), dep);
});

test('the CLI from the installed bin', () => {
  const out = ok(run(join(consumer, 'node_modules', '.bin', 'convscope'), ['predict', digit, '--top', '1']), 'convscope predict');
  assert.match(out, /class 7/);
  assert.match(ok(run(join(consumer, 'node_modules', '.bin', 'convscope'), ['--version']), 'convscope --version'), manifest.version);
});

const predictSource = (imports: string) => `${imports}
const model = await loadShippedModel();
const x = readImageTensor(${JSON.stringify(digit)}, { channels: 1, height: 28, width: 28 });
const p = model.predict(x);
console.log('class', p.data.indexOf(Math.max(...p.data)));
`;

test('an ESM script imports it and predicts the shipped digit', () => {
  writeFileSync(join(consumer, 'esm.mjs'), predictSource("import { loadShippedModel, readImageTensor } from 'convscope';"));
  assert.match(ok(run(process.execPath, ['esm.mjs']), 'esm.mjs'), 'class 7');
});

test('CommonJS: import() works, and require() (Node 20.19+ loads ES modules)', () => {
  writeFileSync(join(consumer, 'dynamic.cjs'), `import('convscope').then(async ({ loadShippedModel, readImageTensor }) => {
  const model = await loadShippedModel();
  const p = model.predict(readImageTensor(${JSON.stringify(digit)}, { channels: 1, height: 28, width: 28 }));
  console.log('class', p.data.indexOf(Math.max(...p.data)));
});`);
  assert.match(ok(run(process.execPath, ['dynamic.cjs']), 'dynamic.cjs'), 'class 7');
  writeFileSync(join(consumer, 'require.cjs'), "const c = require('convscope'); console.log(typeof c.loadModel, typeof c.Tensor, typeof c.ConvscopeError);");
  assert.match(ok(run(process.execPath, ['require.cjs']), 'require.cjs'), 'function function function');
});

test('h5wasm (4 MB) is imported on the first .h5 file, not with the library or a model folder', () => {
  writeFileSync(join(consumer, 'hooks.mjs'), `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.includes('/h5wasm/')) process.stderr.write('h5wasm loaded\\n');
  return result;
}`);
  writeFileSync(join(consumer, 'register.mjs'), "import { register } from 'node:module'; register('./hooks.mjs', import.meta.url);");
  writeFileSync(join(consumer, 'lazy.mjs'), "const { loadModel, shippedModelPath } = await import('convscope'); await loadModel(shippedModelPath()); console.log('folder loaded'); if (process.argv[2]) await loadModel(process.argv[2]);");
  const folder = run(process.execPath, ['--import', './register.mjs', 'lazy.mjs']);
  assert.match(ok(folder, 'lazy.mjs'), 'folder loaded');
  assert.not.match(folder.stderr, 'h5wasm loaded');
  const h5 = run(process.execPath, ['--import', './register.mjs', 'lazy.mjs', join(root, 'test', 'fixtures', 'models', 'mnist_model.h5')]);
  ok(h5, 'lazy.mjs with an .h5');
  assert.match(h5.stderr, 'h5wasm loaded');
});

const USE_TS = `import { loadModel, readImageTensor, backwardNet, ConvscopeError, Tensor, type ModelSource } from 'convscope';

export async function run(source: ModelSource, png: Uint8Array): Promise<number | undefined> {
  try {
    const model = await loadModel(source);
    const x: Tensor = readImageTensor(png, { channels: 1, height: 28, width: 28 });
    const r = backwardNet(model, x, { layer: 'conv2', channel: 5, unit: 'max', method: 'deconvnet' });
    return r.data[0];
  } catch (e) {
    if (e instanceof ConvscopeError) console.log(e.code, e.message);
    return undefined;
  }
}
`;
const USE_CTS = `export async function run(): Promise<string> {
  const { loadShippedModel } = await import('convscope');
  const model = await loadShippedModel();
  return model.name;
}
`;

const STRICT = { strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false, noEmit: true, target: 'ES2022' };
const SETUPS = {
  NodeNext: { ...STRICT, module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], lib: ['ES2022'] },
  Bundler: { ...STRICT, module: 'ESNext', moduleResolution: 'Bundler', types: [], lib: ['ES2022', 'DOM'] },
};
const COMPILERS = { 'TypeScript 5.4': 'typescript-5.4', 'TypeScript current': 'typescript' };

for (const [setup, compilerOptions] of Object.entries(SETUPS)) {
  for (const [label, pkg] of Object.entries(COMPILERS)) {
    test(`a TypeScript consumer type-checks: ${setup}, ${label}, strict + noUncheckedIndexedAccess + exactOptionalPropertyTypes, skipLibCheck false`, () => {
      const dir = join(consumer, `ts-${setup}-${pkg}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'use.ts'), USE_TS);
      const files = ['use.ts'];
      if (setup === 'NodeNext') {
        writeFileSync(join(dir, 'use.cts'), USE_CTS);
        files.push('use.cts');
      }
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
      const tsc = join(root, 'node_modules', pkg, 'bin', 'tsc');
      const version = ok(run(process.execPath, [tsc, '--version']), 'tsc --version');
      if (pkg === 'typescript-5.4') assert.match(version, /Version 5\.4\./);
      ok(run(process.execPath, [tsc, '-p', dir]), `tsc (${version.trim()}) on ${setup}`);
    });
  }
}

const esbuild = join(root, 'node_modules', 'esbuild', 'bin', 'esbuild');

test('an esbuild bundle for Node runs from another folder (the wasm travels inside it)', () => {
  writeFileSync(join(consumer, 'app.mjs'), `import { loadModel, readImageTensor } from 'convscope';
const model = await loadModel(process.argv[2]);
const p = model.predict(readImageTensor(process.argv[3], { channels: 1, height: 28, width: 28 }));
console.log('class', p.data.indexOf(Math.max(...p.data)));
`);
  const out = join(work, 'bundled', 'app.mjs');
  ok(run(esbuild, ['app.mjs', '--bundle', '--platform=node', '--format=esm', `--outfile=${out}`, '--log-level=warning']), 'esbuild --platform=node');
  const r = run(process.execPath, [out, join(installed, 'weights', 'mnist-cnn'), digit], { cwd: tmpdir() });
  assert.match(ok(r, 'the Node bundle'), 'class 7');
});

test('an esbuild bundle for browsers: no Node built-ins in it', () => {
  writeFileSync(join(consumer, 'page.js'), `import { loadModel, readImageTensor, backwardNet, occlusion, gradCam } from 'convscope';
export async function explain(bytes, png) {
  const model = await loadModel(bytes);
  const x = readImageTensor(png, { channels: 1, height: 28, width: 28 });
  return [backwardNet(model, x, { layer: 'conv2' }), occlusion(model, x, { size: 8, stride: 4 }), gradCam(model, x, { layer: 'conv2' })];
}
`);
  const meta = join(work, 'browser-meta.json');
  ok(run(esbuild, ['page.js', '--bundle', '--platform=browser', '--format=esm', `--outfile=${join(work, 'browser', 'page.js')}`, `--metafile=${meta}`, '--log-level=warning']), 'esbuild --platform=browser');
  const inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs);
  assert.ok(inputs.some((f) => f.includes('convscope/dist/index.js')), 'the browser build is the core entry');
  assert.equal(inputs.filter((f) => /^node:|^(fs|path|crypto|worker_threads|url|os|zlib|stream)$/.test(f) || f.includes('dist/node.js')), []);
});

test.after(() => { if (!process.env.CONVSCOPE_KEEP_PACKAGE_TEST) rmSync(work, { recursive: true, force: true }); });

test.run();
