// Where a workload's time goes, kernel by kernel: the current kernel set's methods are wrapped
// with timers for the runs of fn, then restored.
import { kernels } from '../src/runtime/backend.ts';
import type { KernelSet } from '../src/runtime/kernel-set.ts';

export interface KernelTime {
  kernel: string;
  /** ms per run of fn, and calls per run. */
  ms: number;
  calls: number;
}

/** Each kernel's share of `runs` runs of fn (ms per run), largest first, and the runs' mean ms. */
export function profileKernels(fn: () => void, runs: number): { kernels: KernelTime[]; meanMs: number } {
  const set = kernels() as unknown as Record<string, unknown>;
  const names = kernelMethods(set);
  const totals = new Map<string, { ms: number; calls: number }>();
  let depth = 0;
  const own = new Map<string, unknown>();
  for (const name of names) {
    const method = set[name] as (...args: unknown[]) => unknown;
    if (Object.prototype.hasOwnProperty.call(set, name)) own.set(name, method);
    set[name] = (...args: unknown[]) => {
      // a kernel that calls another (a threaded set delegating) counts once, as the outer one
      if (depth > 0) return method.apply(set, args);
      depth++;
      const start = performance.now();
      try {
        return method.apply(set, args);
      } finally {
        depth--;
        const t = totals.get(name) ?? { ms: 0, calls: 0 };
        t.ms += performance.now() - start;
        t.calls++;
        totals.set(name, t);
      }
    };
  }
  let elapsed = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      fn();
      elapsed += performance.now() - start;
    }
  } finally {
    for (const name of names) {
      if (own.has(name)) set[name] = own.get(name);
      else delete set[name];
    }
  }
  const list = [...totals].map(([kernel, t]) => ({ kernel, ms: t.ms / runs, calls: t.calls / runs }));
  return { kernels: list.sort((a, b) => b.ms - a.ms), meanMs: elapsed / runs };
}

// Every kernel of the KernelSet interface (the type makes a new one a compile error until it is listed).
const KERNELS: Record<Exclude<keyof KernelSet, 'name'>, true> = {
  conv2d: true, conv2dBackwardData: true, conv2dBackwardFilter: true,
  depthwiseConv2d: true, depthwiseConv2dBackwardData: true, depthwiseConv2dBackwardFilter: true,
  maxPool2d: true, maxUnpool2d: true, avgPool2d: true, avgPool2dBackward: true, matmul: true,
  relu: true, reluBackward: true, sigmoid: true, tanh: true, sigmoidBackward: true, tanhBackward: true,
  activation: true, activationBackward: true, softmax: true, channelAffine: true, add: true, mul: true, scale: true, adam: true,
};

function kernelMethods(set: Record<string, unknown>): string[] {
  return Object.keys(KERNELS).filter((k) => typeof set[k] === 'function');
}
