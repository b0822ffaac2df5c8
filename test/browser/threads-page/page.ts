// The threads test's page: asks for two threads on its own main thread (which must refuse), then
// runs the worker and leaves everything it reports in window.threadsResult.
import { prepareKernels } from '../../../src/index.ts';

async function main(): Promise<unknown> {
  let mainThreadError: string | null = null;
  try {
    await prepareKernels('simd-2t');
  } catch (e) {
    mainThreadError = (e as Error).message;
  }
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const result = await new Promise((resolve) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => resolve({ error: `worker failed: ${event.message}` });
    worker.postMessage('run');
  });
  return { mainThreadError, ...(result as object) };
}

main().then(
  (result) => Object.assign(window, { threadsResult: result }),
  (e) => Object.assign(window, { threadsResult: { error: String(e) } }),
);
