import type { BiasAxis, ConvGeometry, KernelSet, ThreadedKernelSetName } from './kernel-set.ts';
import type { WasmExports } from './wasm-exports.ts';
import { WasmKernelSet, convRecord, streamsB, wasmKernels } from './wasm-kernels.ts';
import { wasmThreadsModule, type WasmThreadsBuild } from './wasm-module.ts';
import {
  ARGS, ARGS_OFFSET, CONTROL_BYTES, DONE, NEXT, OP, OP_CONV_COLUMNS, OP_GEMM, OP_WINOGRAD_INPUT, OP_WINOGRAD_OUTPUT,
  OP_WINOGRAD_PRODUCTS, OP_WINOGRAD_WEIGHTS, REQUEST, SPINS, STATE, STATE_READY,
  startNodeWorker, startWebWorker, startsSynchronously, threadsUnavailable, type WorkerData,
} from './wasm-threads-worker.ts';
import { ConvscopeError } from '../errors.ts';

// The two-thread kernel sets, 'simd-2t' and 'relaxed-2t': a threads build (SIMD, or relaxed SIMD,
// on an imported shared memory) instantiated twice on one WebAssembly.Memory, here and in one
// worker (src/runtime/wasm-threads-worker.ts). The big GEMMs (matmul without
// transB, the forward conv) split their columns (output positions) into chunks of a multiple of 8
// columns, which both threads take in turn from a shared counter until none is left (2 to 8
// chunks: chunkColumns), each with its own GEMM scratch (the worker's instance points its
// scratch below the arena with f32_use_scratch). Convolutions on the Winograd path (both ways)
// share each chunk of tiles in three steps: input channels of the transform, the GEMMs, and
// output channels of the inverse transform. Every output
// element is summed in the same order as on one thread, so the results are bit-identical to the
// one-thread set of the same build ('simd', 'relaxed'). Everything else, and work too small to be
// worth a hand-off, runs on that one-thread set itself, in its own (unshared) memory: the same
// kernels took 5-25% longer on the shared instance (channel affine 5.8 against 7.4 ms, the
// activations 6.8 against 7.9 ms over a MobileNetV2 forward with no split at all).

// Pages, as the threads targets of asconfig.json declare them (the import must fit them).
const INITIAL_PAGES = 32;
const MAXIMUM_PAGES = 16384;

/** The adjoint geometry f32_winograd_adjoint writes: 15 i32s. */
const ADJOINT_GEOMETRY_BYTES = 64;

/** Below this many multiply-adds (about 0.1 ms of work) the hand-off costs more than it saves. */
const MIN_SPLIT_MACS = 1 << 21;

/** Each two-thread set's build, which is also its one-thread twin's name. */
const BUILDS: Record<ThreadedKernelSetName, WasmThreadsBuild> = { 'simd-2t': 'simd', 'relaxed-2t': 'relaxed' };

/** The kernels a two-thread set never splits: its one-thread twin runs them. */
const ALONE = [
  'conv2dBackwardFilter', 'depthwiseConv2d', 'depthwiseConv2dBackwardData', 'depthwiseConv2dBackwardFilter', 'maxPool2d', 'maxUnpool2d',
  'avgPool2d', 'avgPool2dBackward', 'relu', 'reluBackward', 'sigmoid', 'tanh', 'sigmoidBackward', 'tanhBackward', 'activation',
  'activationBackward', 'softmax', 'channelAffine', 'add', 'mul', 'scale', 'adam',
] as const satisfies readonly (keyof KernelSet)[];

/**
 * Columns per chunk, a multiple of 8 (a GEMM strip boundary): about half of n below 256 columns,
 * a quarter below 1024, else an eighth. Each chunk packs all of A again, so narrow products get
 * few chunks; more chunks let the faster thread take more when the machine slows one down.
 */
function chunkColumns(n: number): number {
  return Math.ceil(n / (n < 256 ? 2 : n < 1024 ? 4 : 8) / 8) * 8;
}

class ThreadedKernelSet extends WasmKernelSet {
  /** The one-thread set of the same build: what this set does not split runs there. */
  private readonly alone: WasmKernelSet;
  private readonly control: Int32Array;
  private readonly args: Float64Array;
  private seq = 0;

  /** What the worker needs to share this set's memory: start it with startNodeWorker or startWebWorker. */
  readonly workerData: WorkerData;

  constructor(name: ThreadedKernelSetName, module: WebAssembly.Module) {
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
    const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
    const scratch = Math.ceil(wasm.heap_base() / 16) * 16;
    super(name, wasm, scratch + wasm.f32_gemm_scratch_bytes());
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    this.control = new Int32Array(control);
    this.args = new Float64Array(control, ARGS_OFFSET, ARGS);
    this.workerData = { module, memory, control, scratch };
    this.alone = wasmKernels(BUILDS[name]);
    for (const op of ALONE) (this as Record<string, unknown>)[op] = (this.alone[op] as (...args: unknown[]) => void).bind(this.alone);
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
    if (Atomics.load(this.control, STATE) !== STATE_READY) throw new Error(`convscope: a ${this.name} worker job failed`);
  }

  override conv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
    const ohw = g.oh * g.ow;
    if (ohw < 16 || g.cout * ohw * g.cin * g.kh * g.kw < MIN_SPLIT_MACS) {
      this.alone.conv2d(g, x, w, bias, y);
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
      this.alone.conv2dBackwardData(g, dy, w, dx);
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
    if (streamsB(b)) {
      // streamed in K blocks through this set's gemmBlock, which splits the blocks worth it
      super.matmul(m, n, k, a, transA, b, transB, bias, biasAxis, c);
      return;
    }
    if (transB || n < 16 || m * n * k < MIN_SPLIT_MACS) {
      this.alone.matmul(m, n, k, a, transA, b, transB, bias, biasAxis, c);
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

const ready = new Map<ThreadedKernelSetName, ThreadedKernelSet>();
const starting = new Map<ThreadedKernelSetName, Promise<ThreadedKernelSet>>();

/**
 * Whether this runtime, on this thread, can run a two-thread set: shared memory, the threads build
 * validates, and this thread may block (not a page's main thread).
 */
export function wasmThreadsSupported(name: ThreadedKernelSetName = 'simd-2t'): boolean {
  return wasmThreadsModule(BUILDS[name]) !== null && threadsUnavailable(name, BUILDS[name]) === null;
}

/** The set's threads build; throws saying why this thread cannot run the set. */
function threadsModule(name: ThreadedKernelSetName): WebAssembly.Module {
  const oneThread = BUILDS[name];
  const unavailable = threadsUnavailable(name, oneThread);
  if (unavailable !== null) throw new ConvscopeError('E_UNSUPPORTED', unavailable);
  const module = wasmThreadsModule(oneThread);
  if (module === null) {
    throw new ConvscopeError('E_UNSUPPORTED', oneThread === 'relaxed'
      ? 'this runtime does not support WebAssembly relaxed SIMD with threads (Node 20 needs --experimental-wasm-relaxed-simd); use simd-2t'
      : `this runtime cannot run the ${name} kernels (no shared WebAssembly memory); use simd`);
  }
  return module;
}

/**
 * A two-thread kernel set. In Node its worker starts on first use (synchronously) and never keeps
 * the process alive; in a browser it must have been started by prepareThreadedKernels.
 */
export function threadedKernels(name: ThreadedKernelSetName = 'simd-2t'): WasmKernelSet {
  let set = ready.get(name);
  if (set === undefined) {
    if (!startsSynchronously()) {
      // Say first why this thread could not have it at all, then that it has to be prepared.
      threadsModule(name);
      throw new ConvscopeError('E_UNSUPPORTED', `the ${name} kernel set starts its worker asynchronously here: await prepareKernels('${name}') before using it`);
    }
    set = new ThreadedKernelSet(name, threadsModule(name));
    startNodeWorker(set.workerData, name, BUILDS[name]);
    ready.set(name, set);
  }
  return set;
}

/** Starts a two-thread set's worker without blocking (a browser's Web Worker, or Node's) and keeps the set for threadedKernels. */
export async function prepareThreadedKernels(name: ThreadedKernelSetName): Promise<WasmKernelSet> {
  const done = ready.get(name);
  if (done !== undefined) return done;
  if (startsSynchronously()) return threadedKernels(name);
  let pending = starting.get(name);
  if (pending === undefined) {
    const set = new ThreadedKernelSet(name, threadsModule(name));
    pending = startWebWorker(set.workerData, name, BUILDS[name]).then(() => {
      ready.set(name, set);
      return set;
    });
    starting.set(name, pending);
    pending.catch(() => starting.delete(name));
  }
  return pending;
}
