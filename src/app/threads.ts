// One thread or two for the app's worker. Two need a cross-origin isolated page (SharedArrayBuffer);
// both give the same bits.
import { defaultKernelSetName, useKernels, kernels, prepareKernels, threadedKernelSetName } from '../runtime/backend.ts';
import { ConvscopeError } from '../errors.ts';

export function threadsState(): { kernels: string; threads: boolean } {
  return { kernels: kernels().name, threads: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true };
}

export async function setThreads(count: 1 | 2): Promise<{ kernels: string; threads: boolean }> {
  if (count === 2) {
    const threads = threadedKernelSetName();
    if (threads === null) throw new ConvscopeError('E_UNSUPPORTED', 'two threads need a cross-origin isolated page: serve the app with `convscope serve`');
    await prepareKernels(threads);
    useKernels(threads);
  } else {
    useKernels(defaultKernelSetName());
  }
  return threadsState();
}
