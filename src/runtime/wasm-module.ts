import { wasmBase64 } from '../../build/wasm-base64.js';
import { ConvscopeError } from '../errors.ts';
import type { WasmExports } from './wasm-exports.ts';

/**
 * The three builds of assembly/: without SIMD, with SIMD128, and with SIMD128 plus relaxed SIMD
 * (f32x4.relaxed_madd in the GEMM microkernels: Node 22+ and current browsers validate it, Node 20
 * only under --experimental-wasm-relaxed-simd); and the SIMD and relaxed builds again on a shared
 * memory, for two threads. Their bytes are embedded in the library (about 170 KB for all five,
 * base64), so it needs no file system and no path to find them: it runs
 * bundled, in a browser, or from any folder.
 */
export type WasmBuild = 'scalar' | 'simd' | 'relaxed';

const instances = new Map<WasmBuild, WasmExports>();
const provided = new Map<WasmBuild | 'threads' | 'relaxed-threads', Uint8Array>();
const validated = new Map<WasmBuild, boolean>();

/** Hands the runtime a build's module bytes itself, instead of the embedded ones. */
export function provideWasmBytes(build: WasmBuild, bytes: Uint8Array): void {
  if (!['scalar', 'simd', 'relaxed'].includes(build) || !(bytes instanceof Uint8Array)) {
    throw new ConvscopeError('E_ARGUMENT', `provideWasmBytes: expected a build (scalar, simd or relaxed) and its bytes as a Uint8Array`);
  }
  provided.set(build, bytes);
  instances.delete(build);
  validated.delete(build);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function wasmBytes(build: WasmBuild | 'threads' | 'relaxed-threads'): Uint8Array<ArrayBuffer> {
  const bytes = provided.get(build);
  if (bytes) return new Uint8Array(bytes);
  const decoded = decodeBase64(wasmBase64[build]);
  provided.set(build, decoded);
  return decoded;
}

/** Whether this runtime validates a build. */
export function wasmBuildSupported(build: WasmBuild): boolean {
  let ok = validated.get(build);
  if (ok === undefined) {
    ok = WebAssembly.validate(wasmBytes(build));
    validated.set(build, ok);
  }
  return ok;
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
  simd: 'this runtime does not support WebAssembly SIMD; use the scalar kernels',
  relaxed: 'this runtime does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use the simd kernels',
};

/** @internal */
export function wasmInstance(build: WasmBuild): WasmExports {
  let exports = instances.get(build);
  if (!exports) {
    if (build !== 'scalar' && !wasmBuildSupported(build)) throw new ConvscopeError('E_UNSUPPORTED', UNSUPPORTED[build]);
    const module = new WebAssembly.Module(wasmBytes(build));
    exports = new WebAssembly.Instance(module, {}).exports as unknown as WasmExports;
    instances.set(build, exports);
  }
  return exports;
}

/** The builds for two threads: SIMD, or relaxed SIMD, on an imported shared memory. */
export type WasmThreadsBuild = 'simd' | 'relaxed';

const THREADS_BYTES: Record<WasmThreadsBuild, 'threads' | 'relaxed-threads'> = { simd: 'threads', relaxed: 'relaxed-threads' };
const threadsModules = new Map<WasmThreadsBuild, WebAssembly.Module | null>();

/**
 * @internal
 * A build for two threads, compiled, or null where this runtime has no SharedArrayBuffer (a
 * browser page that is not cross-origin isolated) or does not validate it.
 */
export function wasmThreadsModule(build: WasmThreadsBuild = 'simd'): WebAssembly.Module | null {
  let module = threadsModules.get(build);
  if (module === undefined) {
    module = null;
    try {
      const bytes = wasmBytes(THREADS_BYTES[build]);
      if (typeof SharedArrayBuffer !== 'undefined' && WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes);
    } catch {
      module = null;
    }
    threadsModules.set(build, module);
  }
  return module;
}
