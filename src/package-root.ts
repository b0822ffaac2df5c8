import { existsSync, readFileSync } from 'node:fs';
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

/**
 * The model commands use when none is given: the MNIST CNN shipped in weights/mnist-cnn/ (a
 * converted folder). Where convscope was bundled into another file, the package is looked up
 * from there as `convscope/models/mnist-cnn/model.json`.
 */
export function defaultModelPath(): string {
  const beside = fileURLToPath(new URL('weights/mnist-cnn', ROOT));
  if (existsSync(beside)) return beside;
  try {
    return fileURLToPath(new URL('.', import.meta.resolve('convscope/models/mnist-cnn/model.json')));
  } catch {
    return beside;
  }
}
