import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// This file sits one folder below the package root, as the bundles in dist/ do, so the same
// relative URLs work from the sources (under tsx) and from the built package.
const ROOT = new URL('../', import.meta.url);

/** The installed package's root folder (it holds weights/ and examples/). */
export function packageRoot(): string {
  return fileURLToPath(ROOT);
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')).version;
}

/** The model commands use when none is given: the MNIST CNN shipped in weights/mnist-cnn/ (a converted folder). */
export function defaultModelPath(): string {
  return fileURLToPath(new URL('weights/mnist-cnn', ROOT));
}
