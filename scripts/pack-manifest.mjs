// `npm pack` and `npm publish` take package.json as it is on disk after `prepack`. Its scripts run
// this project's build and tests from files the package does not ship (scripts/, bench/), and
// `prepare` would be a dangling script in the tarball, so `prepack` strips the scripts and the
// devDependencies (keeping the original beside it) and `postpack` puts the original back: the
// same move as pinst's for postinstall. `prepack` builds first; `prepare` builds on `npm install`
// in a clone.
//
//   node scripts/pack-manifest.mjs strip|restore [DIR]      (DIR: the package folder, default this one)
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const [action, dir = join(dirname(fileURLToPath(import.meta.url)), '..')] = process.argv.slice(2);
const manifest = join(resolve(dir), 'package.json');
const original = join(resolve(dir), '.package.json.orig');

if (action === 'strip') {
  if (existsSync(original)) renameSync(original, manifest); // a pack that stopped before postpack
  const text = readFileSync(manifest, 'utf8');
  writeFileSync(original, text);
  const { scripts: _scripts, devDependencies: _dev, ...published } = JSON.parse(text);
  writeFileSync(manifest, JSON.stringify(published, null, 2) + '\n');
} else if (action === 'restore') {
  if (existsSync(original)) renameSync(original, manifest);
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore [DIR]');
  process.exit(2);
}
