import { ConvscopeError } from '../errors.ts';

// The second thread of the two-thread kernel sets (src/runtime/wasm-threads.ts): the control block
// they share with it, its job loop, and how it is started: a Node worker_thread (synchronously, the
// creator blocking until it is ready), or a Web Worker from a Blob URL (a browser starts a worker
// only while its creator's event loop runs, so the creator awaits its ready message).

// The control block, a SharedArrayBuffer of its own: i32 [0] job sequence number (the creator
// bumps it), [1] last job done (the worker), [2] worker state, [3] job code, [4] next chunk;
// f64 arguments from 64.
export const REQUEST = 0;
export const DONE = 1;
export const STATE = 2;
export const OP = 3;
export const NEXT = 4;
export const ARGS_OFFSET = 64;
export const ARGS = 16;
export const CONTROL_BYTES = ARGS_OFFSET + ARGS * 8;
// Checks of the control block before blocking in Atomics.wait (a few tens of microseconds): a
// Winograd convolution hands over three jobs per chunk back to back, and waking a blocked thread
// took longer than the smaller jobs themselves.
export const SPINS = 20_000;
export const STATE_STARTING = 0;
export const STATE_READY = 1;
export const STATE_FAILED = 2;
export const OP_GEMM = 1;
export const OP_CONV_COLUMNS = 2;
export const OP_WINOGRAD_WEIGHTS = 3;
export const OP_WINOGRAD_INPUT = 4;
export const OP_WINOGRAD_PRODUCTS = 5;
export const OP_WINOGRAD_OUTPUT = 6;

/** What the worker is given: the compiled threads build, the shared memory, the control block, and where its GEMM scratch goes. */
export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  scratch: number;
}

/** How long a creator waits for its worker to instantiate the module. */
const START_TIMEOUT_MS = 10_000;

// The worker's code, shared by both variants: instantiates the module on the shared memory, moves
// its GEMM scratch, says whether it is ready, then runs jobs, spinning briefly and then blocking in
// Atomics.wait between them. Plain script so that it runs from a string wherever this file was
// bundled to.
const JOB_LOOP = `
function runJobs(data, ready) {
  const ctl = new Int32Array(data.control);
  const args = new Float64Array(data.control, ${ARGS_OFFSET}, ${ARGS});
  let wasm = null;
  try {
    wasm = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports;
    wasm.f32_use_scratch(data.scratch);
    Atomics.store(ctl, ${STATE}, ${STATE_READY});
  } catch (e) {
    Atomics.store(ctl, ${STATE}, ${STATE_FAILED});
  }
  Atomics.notify(ctl, ${STATE});
  ready(wasm !== null);
  let seq = 0;
  while (wasm !== null) {
    for (let i = 0; i < ${SPINS} && Atomics.load(ctl, ${REQUEST}) === seq; i++);
    Atomics.wait(ctl, ${REQUEST}, seq);
    seq = Atomics.load(ctl, ${REQUEST});
    try {
      const a = args;
      const op = Atomics.load(ctl, ${OP});
      const n = a[13];
      const width = a[14];
      for (let j0 = Atomics.add(ctl, ${NEXT}, 1) * width; j0 < n; j0 = Atomics.add(ctl, ${NEXT}, 1) * width) {
        const cols = Math.min(width, n - j0);
        if (op === ${OP_GEMM}) {
          wasm.f32_gemm(a[0], cols, a[2], a[3], a[4], a[5], a[6] + j0 * 4, a[7], a[8] + j0 * 4, a[9], a[10], a[11] ? a[11] + j0 * 4 : 0, a[12]);
        } else if (op === ${OP_CONV_COLUMNS}) {
          wasm.f32_conv2d_columns(a[0], a[1], a[2], a[3], a[4], a[5], a[6], j0, j0 + cols);
        } else if (op === ${OP_WINOGRAD_WEIGHTS}) {
          wasm.f32_winograd_weights(a[0], a[1], a[2], a[3], j0, j0 + cols);
        } else if (op === ${OP_WINOGRAD_INPUT}) {
          wasm.f32_winograd_input(a[0], a[1], a[2], a[3], j0, j0 + cols);
        } else if (op === ${OP_WINOGRAD_PRODUCTS}) {
          wasm.f32_winograd_products(a[0], a[1], a[2], j0, j0 + cols);
        } else if (op === ${OP_WINOGRAD_OUTPUT}) {
          wasm.f32_winograd_output(a[0], a[1], a[2], a[3], a[4], a[5], a[6], j0, j0 + cols);
        }
      }
    } catch (e) {
      Atomics.store(ctl, ${STATE}, ${STATE_FAILED});
    }
    Atomics.store(ctl, ${DONE}, seq);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

/** Node: CommonJS run with eval, its data given at creation. */
const NODE_WORKER_SOURCE = `${JOB_LOOP}\nrunJobs(require('node:worker_threads').workerData, () => {});\n`;

/** Browsers: a classic worker from a Blob URL; its data comes in the first message, and it answers whether it is ready. */
const WEB_WORKER_SOURCE = `${JOB_LOOP}\nself.onmessage = (event) => {\n  self.onmessage = null;\n  runJobs(event.data, (ok) => self.postMessage(ok));\n};\n`;

type NodeWorker = typeof import('node:worker_threads').Worker;

/**
 * Node's Worker, fetched at run time (process.getBuiltinModule, Node 20.16+) rather than
 * imported, so that the library's core imports no Node built-in and bundles for browsers.
 * Null outside Node.
 */
function nodeWorker(): NodeWorker | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const threads = proc?.getBuiltinModule?.('node:worker_threads') as { Worker: NodeWorker } | undefined;
  return threads?.Worker ?? null;
}

/** Whether this thread may block in Atomics.wait (not on a browser page's main thread). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether workers start synchronously here (Node) rather than by message (browsers). */
export function startsSynchronously(): boolean {
  return nodeWorker() !== null;
}

/**
 * Why this thread cannot run two-thread kernels, or null when it can: no SharedArrayBuffer (a
 * page that is not cross-origin isolated), no way to block (a page's main thread), no workers.
 */
export function threadsUnavailable(setName: string, oneThread: string): string | null {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  const why = typeof SharedArrayBuffer === 'undefined' || isolated === false
    ? 'this page is not cross-origin isolated'
    : !mayBlock()
      ? 'this is the main thread of a page, where Atomics.wait is not allowed'
      : nodeWorker() === null && typeof Worker === 'undefined'
        ? 'this runtime has no workers'
        : null;
  if (why === null) return null;
  return `the ${setName} kernel set needs shared memory and a thread that may block: threads need a cross-origin isolated page (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp) and must run in a Worker; ${why}; use ${oneThread}`;
}

function notStarted(setName: string, oneThread: string): ConvscopeError {
  return new ConvscopeError('E_UNSUPPORTED', `the worker thread of the ${setName} kernels did not start; use ${oneThread}`);
}

/** Starts the worker as a Node worker_thread and blocks until it is ready; it never keeps the process alive. */
export function startNodeWorker(data: WorkerData, setName: string, oneThread: string): void {
  const Worker = nodeWorker();
  if (Worker === null) throw notStarted(setName, oneThread);
  const worker = new Worker(NODE_WORKER_SOURCE, { eval: true, workerData: data });
  worker.unref();
  const control = new Int32Array(data.control);
  Atomics.wait(control, STATE, STATE_STARTING, START_TIMEOUT_MS);
  if (Atomics.load(control, STATE) !== STATE_READY) {
    void worker.terminate();
    throw notStarted(setName, oneThread);
  }
}

/** Starts the worker as a Web Worker from a Blob URL and resolves once it is ready, without blocking. */
export function startWebWorker(data: WorkerData, setName: string, oneThread: string): Promise<void> {
  const url = URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
  let worker: Worker;
  try {
    worker = new Worker(url, { name: `convscope ${setName}` });
  } catch {
    URL.revokeObjectURL(url);
    return Promise.reject(notStarted(setName, oneThread));
  }
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => settle(false), START_TIMEOUT_MS);
    function settle(ok: boolean): void {
      clearTimeout(timer);
      worker.onmessage = null;
      worker.onerror = null;
      URL.revokeObjectURL(url);
      if (ok) {
        resolve();
      } else {
        worker.terminate();
        reject(notStarted(setName, oneThread));
      }
    }
    worker.onmessage = (event: MessageEvent) => settle(event.data === true);
    worker.onerror = () => settle(false);
    worker.postMessage(data);
  });
}
