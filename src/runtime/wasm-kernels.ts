import type { KernelSet } from './kernel-set.ts';

// Placeholder until the wasm runtime lands (being written now).
export function wasmSimdSupported(): boolean {
  return false;
}

export function wasmKernels(name: 'scalar' | 'simd'): KernelSet {
  throw new Error(`wasm kernels (${name}) are not built yet`);
}
