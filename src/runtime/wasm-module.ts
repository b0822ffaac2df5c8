import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';
import type { WasmExports } from './wasm-exports.ts';

export type WasmBuild = 'simd' | 'scalar';

const instances = new Map<WasmBuild, WasmExports>();
const provided = new Map<WasmBuild, Uint8Array>();

/** Hands the runtime the module bytes itself (for browsers and bundlers, where there is no file system). */
export function provideWasmBytes(build: WasmBuild, bytes: Uint8Array): void {
  provided.set(build, bytes);
  instances.delete(build);
}

function buildDir(): string {
  const dir = join(packageRoot(), 'build');
  if (!existsSync(join(dir, 'convscope.simd.wasm'))) {
    throw new Error('convscope: the wasm kernels are not built (build/convscope.*.wasm missing): run `npm install` or `npm run build`');
  }
  return dir;
}

function wasmBytes(build: WasmBuild): Uint8Array<ArrayBuffer> {
  const bytes = provided.get(build) ?? readFileSync(join(buildDir(), `convscope.${build}.wasm`));
  return new Uint8Array(bytes);
}

let simdSupport: boolean | null = null;

/** Whether this runtime validates the SIMD build (WebAssembly SIMD128). */
export function wasmSimdSupported(): boolean {
  if (simdSupport === null) simdSupport = WebAssembly.validate(wasmBytes('simd'));
  return simdSupport;
}

export function wasmInstance(build: WasmBuild): WasmExports {
  let exports = instances.get(build);
  if (!exports) {
    if (build === 'simd' && !wasmSimdSupported()) {
      throw new Error('convscope: this runtime does not support WebAssembly SIMD; use the scalar kernels');
    }
    const module = new WebAssembly.Module(wasmBytes(build));
    exports = new WebAssembly.Instance(module, {}).exports as unknown as WasmExports;
    instances.set(build, exports);
  }
  return exports;
}
