import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';
import type { WasmExports } from './wasm-exports.ts';

/**
 * The three builds of assembly/: without SIMD, with SIMD128, and with SIMD128 plus relaxed SIMD
 * (f32x4.relaxed_madd in the GEMM microkernels: Node 22+ and current browsers validate it, Node 20
 * only under --experimental-wasm-relaxed-simd).
 */
export type WasmBuild = 'scalar' | 'simd' | 'relaxed';

const instances = new Map<WasmBuild, WasmExports>();
const provided = new Map<WasmBuild, Uint8Array>();
const validated = new Map<WasmBuild, boolean>();

/** Hands the runtime the module bytes itself (for browsers and bundlers, where there is no file system). */
export function provideWasmBytes(build: WasmBuild, bytes: Uint8Array): void {
  provided.set(build, bytes);
  instances.delete(build);
  validated.delete(build);
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

/** Whether this runtime validates a build; a relaxed build that is not there counts as not validated. */
export function wasmBuildSupported(build: WasmBuild): boolean {
  let ok = validated.get(build);
  if (ok === undefined) {
    ok = (build !== 'relaxed' || relaxedBytesAvailable()) && WebAssembly.validate(wasmBytes(build));
    validated.set(build, ok);
  }
  return ok;
}

// The relaxed build is optional: bytes handed over, or a file next to the other builds.
function relaxedBytesAvailable(): boolean {
  if (provided.has('relaxed')) return true;
  try {
    return existsSync(join(buildDir(), 'convscope.relaxed.wasm'));
  } catch {
    return false;
  }
}

/** Whether this runtime validates the SIMD build (WebAssembly SIMD128). */
export function wasmSimdSupported(): boolean {
  return wasmBuildSupported('simd');
}

/** Whether this runtime validates the relaxed SIMD build. */
export function wasmRelaxedSimdSupported(): boolean {
  return wasmBuildSupported('relaxed');
}

const UNSUPPORTED: Record<Exclude<WasmBuild, 'scalar'>, string> = {
  simd: 'convscope: this runtime does not support WebAssembly SIMD; use the scalar kernels',
  relaxed: 'convscope: this runtime does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use the simd kernels',
};

export function wasmInstance(build: WasmBuild): WasmExports {
  let exports = instances.get(build);
  if (!exports) {
    if (build !== 'scalar' && !wasmBuildSupported(build)) throw new Error(UNSUPPORTED[build]);
    const module = new WebAssembly.Module(wasmBytes(build));
    exports = new WebAssembly.Instance(module, {}).exports as unknown as WasmExports;
    instances.set(build, exports);
  }
  return exports;
}

let threadsModule: WebAssembly.Module | null | undefined;

/**
 * The build for two threads (SIMD on an imported shared memory), compiled, or null where this
 * runtime has no SharedArrayBuffer or does not validate it, or the file is not there.
 */
export function wasmThreadsModule(): WebAssembly.Module | null {
  if (threadsModule === undefined) {
    threadsModule = null;
    try {
      const file = join(buildDir(), 'convscope.threads.wasm');
      if (typeof SharedArrayBuffer !== 'undefined' && existsSync(file)) {
        const bytes = new Uint8Array(readFileSync(file));
        if (WebAssembly.validate(bytes)) threadsModule = new WebAssembly.Module(bytes);
      }
    } catch {
      threadsModule = null;
    }
  }
  return threadsModule;
}
