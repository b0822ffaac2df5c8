import type { KernelSet, KernelSetName } from './kernel-set.ts';
import { referenceKernels } from '../reference/index.ts';
import { ConvscopeError } from '../errors.ts';
import { wasmKernels, wasmSimdSupported, wasmRelaxedSimdSupported } from './wasm-kernels.ts';
import { threadedKernels } from './wasm-threads.ts';

let current: KernelSet | null = null;

/** The best kernel set this runtime supports: wasm relaxed SIMD, else wasm SIMD, else wasm scalar. */
export function defaultKernelSetName(): KernelSetName {
  const forced = typeof process !== 'undefined' ? process.env.CONVSCOPE_KERNELS : undefined;
  if (forced) return parseKernelSetName(forced, 'CONVSCOPE_KERNELS');
  if (wasmRelaxedSimdSupported()) return 'relaxed';
  return wasmSimdSupported() ? 'simd' : 'scalar';
}

export function parseKernelSetName(name: string, what = 'kernel set'): KernelSetName {
  if (name === 'reference' || name === 'scalar' || name === 'simd' || name === 'relaxed' || name === 'simd-2t') return name;
  throw new ConvscopeError('E_ARGUMENT', `${what}: unknown kernel set '${name}'; choose reference, scalar or simd (or relaxed where the runtime has relaxed SIMD, simd-2t for two threads)`);
}

export function kernelSet(name: KernelSetName): KernelSet {
  if (name === 'reference') return referenceKernels;
  return name === 'simd-2t' ? threadedKernels() : wasmKernels(name);
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
