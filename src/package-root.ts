import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The installed package's root folder (it holds build/ and weights/), from src/ under tsx or from dist/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'convscope') return (root = dir);
    dir = dirname(dir);
  }
  throw new Error('convscope: cannot find the package root (package.json named convscope)');
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version;
}

/** The model commands use when none is given: the MNIST CNN shipped in weights/. */
export function defaultModelPath(): string {
  return join(packageRoot(), 'weights', 'mnist-cnn');
}
