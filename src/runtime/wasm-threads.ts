import type { BiasAxis, ConvGeometry } from './kernel-set.ts';
import type { WasmExports } from './wasm-exports.ts';
import { WasmKernelSet, convRecord, streamsB } from './wasm-kernels.ts';
import { wasmThreadsModule } from './wasm-module.ts';
import { ConvscopeError } from '../errors.ts';

// The 'simd-2t' kernel set: the threads build (SIMD on an imported shared memory) instantiated
// twice on one WebAssembly.Memory, here and in one worker thread. The big GEMMs (matmul without
// transB, the forward conv) split their columns (output positions) into chunks of a multiple of 8
// columns, which both threads take in turn from a shared counter until none is left (2 to 8
// chunks: chunkColumns), each with its own GEMM scratch (the worker's instance points its
// scratch below the arena with f32_use_scratch). Convolutions on the Winograd path (both ways)
// share each chunk of tiles in three steps: input channels of the transform, the GEMMs, and
// output channels of the inverse transform. Every output
// element is summed in the same order as on one thread, so the results are bit-identical to the
// 'simd' set. Everything else, and work too small to be worth a hand-off, runs here alone.

// Pages, as the threads target of asconfig.json declares them (the import must fit them).
const INITIAL_PAGES = 32;
const MAXIMUM_PAGES = 16384;

/** The adjoint geometry f32_winograd_adjoint writes: 15 i32s. */
const ADJOINT_GEOMETRY_BYTES = 64;

/** Below this many multiply-adds (about 0.1 ms of work) the hand-off costs more than it saves. */
const MIN_SPLIT_MACS = 1 << 21;

// The control block, a SharedArrayBuffer of its own: i32 [0] job sequence number (this thread
// bumps it), [1] last job done (the worker), [2] worker state, [3] job code, [4] next chunk;
// f64 arguments from 64.
const REQUEST = 0;
const DONE = 1;
const STATE = 2;
const OP = 3;
const NEXT = 4;
const ARGS_OFFSET = 64;
const ARGS = 16;
// Checks of the control block before blocking in Atomics.wait (a few tens of microseconds): a
// Winograd convolution hands over three jobs per chunk back to back, and waking a blocked thread
// took longer than the smaller jobs themselves.
const SPINS = 20_000;
const STATE_STARTING = 0;
const STATE_READY = 1;
const STATE_FAILED = 2;
const OP_GEMM = 1;
const OP_CONV_COLUMNS = 2;
const OP_WINOGRAD_WEIGHTS = 3;
const OP_WINOGRAD_INPUT = 4;
const OP_WINOGRAD_PRODUCTS = 5;
const OP_WINOGRAD_OUTPUT = 6;

// The worker: instantiates the module on the shared memory, moves its GEMM scratch, then runs
// jobs, spinning briefly and then blocking in Atomics.wait between them. Plain CommonJS so that it runs from a string,
// wherever this file was bundled to.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.control);
const args = new Float64Array(workerData.control, ${ARGS_OFFSET}, ${ARGS});
let wasm = null;
try {
  wasm = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
  wasm.f32_use_scratch(workerData.scratch);
  Atomics.store(ctl, ${STATE}, ${STATE_READY});
} catch (e) {
  Atomics.store(ctl, ${STATE}, ${STATE_FAILED});
}
Atomics.notify(ctl, ${STATE});
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
`;

/**
 * Columns per chunk, a multiple of 8 (a GEMM strip boundary): about half of n below 256 columns,
 * a quarter below 1024, else an eighth. Each chunk packs all of A again, so narrow products get
 * few chunks; more chunks let the faster thread take more when the machine slows one down.
 */
function chunkColumns(n: number): number {
  return Math.ceil(n / (n < 256 ? 2 : n < 1024 ? 4 : 8) / 8) * 8;
}

type NodeWorker = typeof import('node:worker_threads').Worker;

/**
 * Node's Worker, fetched at run time (process.getBuiltinModule, Node 20.16+) rather than
 * imported, so that the library's core imports no Node built-in and bundles for browsers; there
 * the set is unavailable until it runs on Web Workers.
 */
function nodeWorker(): NodeWorker {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const threads = proc?.getBuiltinModule?.('node:worker_threads') as { Worker: NodeWorker } | undefined;
  if (!threads) throw new ConvscopeError('E_UNSUPPORTED', "the simd-2t kernel set needs Node's worker threads (Node 20.16 or newer); use simd");
  return threads.Worker;
}

class ThreadedKernelSet extends WasmKernelSet {
  private readonly control: Int32Array;
  private readonly args: Float64Array;
  private seq = 0;

  constructor(module: WebAssembly.Module) {
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
    const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
    const scratch = Math.ceil(wasm.heap_base() / 16) * 16;
    super('simd-2t', wasm, scratch + wasm.f32_gemm_scratch_bytes());
    const control = new SharedArrayBuffer(ARGS_OFFSET + ARGS * 8);
    this.control = new Int32Array(control);
    this.args = new Float64Array(control, ARGS_OFFSET, ARGS);
    const worker = new (nodeWorker())(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, scratch } });
    worker.unref();
    // The worker's instantiation is synchronous in it; wait for it here (10 s at most).
    Atomics.wait(this.control, STATE, STATE_STARTING, 10_000);
    if (Atomics.load(this.control, STATE) !== STATE_READY) {
      void worker.terminate();
      throw new ConvscopeError('E_UNSUPPORTED', 'the worker thread of the simd-2t kernels did not start; use simd');
    }
  }

  /**
   * Hands the worker a job over n columns in chunks of width (args: the job's arguments), runs the
   * chunks this thread takes with run(j0, j1), then waits for the worker.
   */
  private split(op: number, args: readonly number[], n: number, width: number, run: (j0: number, j1: number) => void): void {
    this.args.set(args);
    this.args[13] = n;
    this.args[14] = width;
    Atomics.store(this.control, NEXT, 0);
    this.start(op);
    try {
      for (let j0 = Atomics.add(this.control, NEXT, 1) * width; j0 < n; j0 = Atomics.add(this.control, NEXT, 1) * width) {
        run(j0, Math.min(n, j0 + width));
      }
    } finally {
      this.join();
    }
  }

  private start(op: number): void {
    Atomics.store(this.control, OP, op);
    Atomics.store(this.control, REQUEST, ++this.seq);
    Atomics.notify(this.control, REQUEST);
  }

  private join(): void {
    for (;;) {
      let done = Atomics.load(this.control, DONE);
      for (let i = 0; i < SPINS && done !== this.seq; i++) done = Atomics.load(this.control, DONE);
      if (done === this.seq) break;
      Atomics.wait(this.control, DONE, done);
    }
    if (Atomics.load(this.control, STATE) !== STATE_READY) throw new Error('convscope: a simd-2t worker job failed');
  }

  override conv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
    const ohw = g.oh * g.ow;
    if (ohw < 16 || g.cout * ohw * g.cin * g.kh * g.kw < MIN_SPLIT_MACS) {
      super.conv2d(g, x, w, bias, y);
      return;
    }
    const { arena, wasm } = this;
    arena.scope(() => {
      const { gp, xp, wp, bp, yp, sp } = this.stageConv2d(g, x, w, bias, y);
      if (wasm.f32_winograd_applies(gp)) {
        this.winogradSplit(g.n, g.cin, g.cout, gp, xp, wp, bp, yp, sp, 0);
        arena.getF32(yp, y);
        return;
      }
      const width = chunkColumns(ohw);
      for (let i = 0; i < g.n; i++) {
        const src = wasm.f32_conv2d_prepare(gp, xp, i, sp);
        this.split(OP_CONV_COLUMNS, [gp, src, wp, bp, yp, i, sp], ohw, width, (j0, j1) => wasm.f32_conv2d_columns(gp, src, wp, bp, yp, i, sp, j0, j1));
      }
      arena.getF32(yp, y);
    });
  }

  /** A K block of a streamed matmul, its columns split when the block is worth a hand-off. */
  protected override gemmBlock(m: number, n: number, kc: number, ap: number, lda: number, transA: number, bp: number, cp: number, rowBias: number, colBias: number, accumulate: number): void {
    if (n < 16 || m * n * kc < MIN_SPLIT_MACS) {
      super.gemmBlock(m, n, kc, ap, lda, transA, bp, cp, rowBias, colBias, accumulate);
      return;
    }
    const wasm = this.wasm;
    this.split(OP_GEMM, [m, n, kc, ap, lda, transA, bp, n, cp, n, rowBias, colBias, accumulate], n, chunkColumns(n), (j0, j1) => {
      const right = j0 * 4;
      wasm.f32_gemm(m, j1 - j0, kc, ap, lda, transA, bp + right, n, cp + right, n, rowBias, colBias ? colBias + right : 0, accumulate);
    });
  }

  override conv2dBackwardData(g: ConvGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
    if (g.cout * g.oh * g.ow * g.cin * g.kh * g.kw < MIN_SPLIT_MACS) {
      super.conv2dBackwardData(g, dy, w, dx);
      return;
    }
    const { arena, wasm } = this;
    arena.scope(() => {
      const adjoint = arena.alloc(ADJOINT_GEOMETRY_BYTES);
      const gp = arena.putI32(convRecord(g));
      if (!wasm.f32_winograd_adjoint(gp, adjoint)) {
        arena.scope(() => super.conv2dBackwardData(g, dy, w, dx));
        return;
      }
      const dyp = arena.putF32(dy);
      const wp = arena.putF32(w);
      const dxp = arena.alloc(dx.length * 4);
      const sp = arena.alloc(wasm.f32_conv2d_backward_data_scratch(gp) * 4);
      this.winogradSplit(g.n, g.cout, g.cin, adjoint, dyp, wp, 0, dxp, sp, 1);
      arena.getF32(dxp, dx);
    });
  }

  /**
   * A conv of n images, cin to cout channels, on the Winograd path (geometry gp; adjoint: the
   * adjoint's geometry, filters read as the adjoint reads them): U, its output channels split,
   * then per image its padded copy and, chunk by chunk, each of the three steps split too.
   */
  private winogradSplit(n: number, cin: number, cout: number, gp: number, xp: number, wp: number, bp: number, yp: number, sp: number, adjoint: 0 | 1): void {
    const wasm = this.wasm;
    const filterRows = Math.ceil(cout / 32) * 4;
    this.split(OP_WINOGRAD_WEIGHTS, [gp, wp, sp, adjoint], cout, filterRows, (o0, o1) => wasm.f32_winograd_weights(gp, wp, sp, adjoint, o0, o1));
    const tileRows = wasm.f32_winograd_tile_rows(gp);
    const step = wasm.f32_winograd_chunk_rows(gp);
    const part = (count: number) => Math.ceil(count / 8);
    const planes = wasm.f32_winograd_planes();
    for (let i = 0; i < n; i++) {
      wasm.f32_winograd_image(gp, xp, i, sp);
      for (let r = 0; r < tileRows; r += step) {
        const rows = Math.min(step, tileRows - r);
        this.split(OP_WINOGRAD_INPUT, [gp, sp, r, rows], cin, part(cin), (j0, j1) => wasm.f32_winograd_input(gp, sp, r, rows, j0, j1));
        this.split(OP_WINOGRAD_PRODUCTS, [gp, sp, rows], planes, part(planes), (j0, j1) => wasm.f32_winograd_products(gp, sp, rows, j0, j1));
        this.split(OP_WINOGRAD_OUTPUT, [gp, bp, yp, i, sp, r, rows], cout, part(cout), (j0, j1) => wasm.f32_winograd_output(gp, bp, yp, i, sp, r, rows, j0, j1));
      }
    }
  }

  override matmul(
    m: number, n: number, k: number,
    a: Float32Array, transA: boolean,
    b: Float32Array, transB: boolean,
    bias: Float32Array | null, biasAxis: BiasAxis,
    c: Float32Array,
  ): void {
    if (transB || n < 16 || m * n * k < MIN_SPLIT_MACS || streamsB(b)) {
      super.matmul(m, n, k, a, transA, b, transB, bias, biasAxis, c);
      return;
    }
    const { arena, wasm } = this;
    arena.scope(() => {
      const ap = arena.putF32(a);
      const bp = arena.putF32(b);
      const biasPtr = bias ? arena.putF32(bias) : 0;
      const rowBias = biasAxis === 'row' ? biasPtr : 0;
      const colBias = biasAxis === 'col' ? biasPtr : 0;
      const cp = arena.alloc(m * n * 4);
      const lda = transA ? m : k;
      const ta = transA ? 1 : 0;
      this.split(OP_GEMM, [m, n, k, ap, lda, ta, bp, n, cp, n, rowBias, colBias, 0], n, chunkColumns(n), (j0, j1) => {
        const right = j0 * 4;
        wasm.f32_gemm(m, j1 - j0, k, ap, lda, ta, bp + right, n, cp + right, n, rowBias, colBias ? colBias + right : 0, 0);
      });
      arena.getF32(cp, c);
    });
  }
}

let threaded: ThreadedKernelSet | null = null;

/** Whether this runtime can run the simd-2t kernels (shared memory, and the threads build validates). */
export function wasmThreadsSupported(): boolean {
  return wasmThreadsModule() !== null;
}

/** The simd-2t kernel set; its worker starts on first use and never keeps the process alive. */
export function threadedKernels(): WasmKernelSet {
  if (threaded === null) {
    const module = wasmThreadsModule();
    if (module === null) throw new ConvscopeError('E_UNSUPPORTED', 'this runtime cannot run the simd-2t kernels (no shared WebAssembly memory); use simd');
    threaded = new ThreadedKernelSet(module);
  }
  return threaded;
}
