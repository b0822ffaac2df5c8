import type { KernelSet, KernelSetName, ThreadedKernelSetName } from './kernel-set.ts';
import { referenceKernels } from '../reference/index.ts';
import { ConvscopeError } from '../errors.ts';
import { WasmKernelSet, wasmKernels, wasmSimdSupported, wasmRelaxedSimdSupported } from './wasm-kernels.ts';
import type { PassMemory } from '../buffer-pool.ts';
import { prepareThreadedKernels, threadedKernels, wasmThreadsSupported } from './wasm-threads.ts';

let current: KernelSet | null = null;

/** The best kernel set this runtime supports: wasm relaxed SIMD, else wasm SIMD, else wasm scalar. */
export function defaultKernelSetName(): KernelSetName {
  const forced = typeof process !== 'undefined' ? process.env.CONVSCOPE_KERNELS : undefined;
  if (forced) return parseKernelSetName(forced, 'CONVSCOPE_KERNELS');
  if (wasmRelaxedSimdSupported()) return 'relaxed';
  return wasmSimdSupported() ? 'simd' : 'scalar';
}

/**
 * The two-thread set that gives defaultKernelSetName()'s bits ('relaxed-2t' for 'relaxed',
 * 'simd-2t' for 'simd'), or null where this runtime or thread cannot run it (no shared memory:
 * a page that is not cross-origin isolated; a page's main thread; scalar kernels only).
 */
export function threadedKernelSetName(): ThreadedKernelSetName | null {
  const name = defaultKernelSetName();
  const threaded = isThreaded(name) ? name : name === 'relaxed' ? 'relaxed-2t' : name === 'simd' ? 'simd-2t' : null;
  return threaded !== null && wasmThreadsSupported(threaded) ? threaded : null;
}

function isThreaded(name: KernelSetName): name is ThreadedKernelSetName {
  return name === 'simd-2t' || name === 'relaxed-2t';
}

export function parseKernelSetName(name: string, what = 'kernel set'): KernelSetName {
  if (name === 'reference' || name === 'scalar' || name === 'simd' || name === 'relaxed' || name === 'simd-2t' || name === 'relaxed-2t') return name;
  throw new ConvscopeError('E_ARGUMENT', `${what}: unknown kernel set '${name}'; choose reference, scalar or simd (or relaxed where the runtime has relaxed SIMD; simd-2t or relaxed-2t for two threads)`);
}

export function kernelSet(name: KernelSetName): KernelSet {
  if (name === 'reference') return referenceKernels;
  return isThreaded(name) ? threadedKernels(name) : wasmKernels(name);
}

/**
 * Makes a kernel set ready without blocking, so that useKernels and withKernels can then switch
 * to it synchronously. A two-thread set in a browser needs this first: its Web Worker starts only
 * while the caller's event loop runs (call it in a Worker of a cross-origin isolated page; it
 * rejects with one ConvscopeError saying why elsewhere). Any other set, and Node, need not.
 *
 *     const threads = threadedKernelSetName();
 *     if (threads !== null) await prepareKernels(threads);
 *     useKernels(threads ?? defaultKernelSetName());
 */
export async function prepareKernels(name: KernelSetName): Promise<void> {
  const parsed = parseKernelSetName(name);
  if (isThreaded(parsed)) await prepareThreadedKernels(parsed);
  else kernelSet(parsed);
}

/** The kernel set every op runs on. */
export function kernels(): KernelSet {
  if (current === null) current = kernelSet(defaultKernelSetName());
  return current;
}

/** Switch every op to another kernel set (tests and benchmarks compare them this way). */
export function useKernels(name: KernelSetName): void {
  current = kernelSet(name);
}

/** Run fn with a kernel set, restoring the previous one afterwards. */
export function withKernels<T>(name: KernelSetName, fn: () => T): T {
  const previous = current;
  current = kernelSet(name);
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/**
 * The memory a forward pass's tensors may live in with the current kernel set (buffer-pool.ts):
 * a wasm set's own memory (a two-thread set's shared one, where the split kernels run; what it
 * runs on its one-thread twin is copied there and back as before); null for the reference set.
 */
export function passArena(): PassMemory | null {
  const set = kernels();
  return set instanceof WasmKernelSet ? set.arena : null;
}
