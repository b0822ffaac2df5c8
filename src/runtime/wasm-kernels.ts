import type { BiasAxis, ConvGeometry, KernelActivation, KernelSet, KernelSetName, PoolGeometry, ReluRule } from './kernel-set.ts';
import type { WasmExports } from './wasm-exports.ts';
import { Arena } from './arena.ts';
import { wasmInstance, type WasmBuild } from './wasm-module.ts';

export { wasmSimdSupported, wasmRelaxedSimdSupported } from './wasm-module.ts';

/**
 * Above this many floats, matmul's B goes into wasm memory a block at a time, each block
 * multiplied while it is still in cache, instead of copied whole and read back: a Dense layer at
 * small batch then reads its weights once (VGG16's fc1: 411 MB), forward and backward. Not
 * transposed, the blocks are the GEMM's own K blocks; transposed, blocks of C's columns: either
 * way every sum runs in the same order as in one call.
 */
const STREAMED_B_FLOATS = 1 << 22;
/** Rows of a transposed B streamed at once: about 1 MB. */
const STREAMED_BLOCK_FLOATS = 1 << 18;

/** Whether matmul streams this (not transposed) B into wasm memory block by block. */
export function streamsB(b: Float32Array): boolean {
  return b.length > STREAMED_B_FLOATS;
}

const RELU_RULE_CODES: Record<ReluRule, number> = { salinet: 0, deconvnet: 1, guided: 2 };

export function convRecord(g: ConvGeometry): number[] {
  return [g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft, g.oh, g.ow];
}

function poolRecord(g: PoolGeometry): number[] {
  return [g.planes, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.oh, g.ow];
}

/** A KernelSet over one wasm build: copies operands into the arena, calls the export, copies results out. */
export class WasmKernelSet implements KernelSet {
  readonly arena: Arena;

  /** heapBase: where the arena starts (a threaded set keeps its worker's scratch below it). */
  constructor(readonly name: Exclude<KernelSetName, 'reference'>, protected readonly wasm: WasmExports, heapBase = wasm.heap_base()) {
    this.arena = new Arena(wasm.memory, heapBase);
  }

  conv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
    this.arena.scope(() => {
      const p = this.stageConv2d(g, x, w, bias, y);
      this.wasm.f32_conv2d(p.gp, p.xp, p.wp, p.bp, p.yp, p.sp);
      this.arena.getF32(p.yp, y);
    });
  }

  /** Inside an arena scope: the geometry and operands of a forward conv in wasm memory, with room for y and scratch. */
  protected stageConv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array) {
    const { arena, wasm } = this;
    const gp = arena.putI32(convRecord(g));
    const xp = arena.putF32(x);
    const wp = arena.putF32(w);
    const bp = bias ? arena.putF32(bias) : 0;
    const yp = arena.outF32(y);
    const sp = arena.alloc(wasm.f32_conv2d_scratch(gp) * 4);
    return { gp, xp, wp, bp, yp, sp };
  }

  conv2dBackwardData(g: ConvGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const gp = arena.putI32(convRecord(g));
      const dyp = arena.putF32(dy);
      const wp = arena.putF32(w);
      const dxp = arena.alloc(dx.length * 4);
      const sp = arena.alloc(wasm.f32_conv2d_backward_data_scratch(gp) * 4);
      wasm.f32_conv2d_backward_data(gp, dyp, wp, dxp, sp);
      arena.getF32(dxp, dx);
    });
  }

  conv2dBackwardFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const gp = arena.putI32(convRecord(g));
      const xp = arena.putF32(x);
      const dyp = arena.putF32(dy);
      const dwp = arena.alloc(dw.length * 4);
      const dbp = arena.alloc(db.length * 4);
      const sp = arena.alloc(wasm.f32_conv2d_backward_filter_scratch(gp) * 4);
      wasm.f32_conv2d_backward_filter(gp, xp, dyp, dwp, dbp, sp);
      arena.getF32(dwp, dw);
      arena.getF32(dbp, db);
    });
  }

  depthwiseConv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const gp = arena.putI32(convRecord(g));
      const xp = arena.putF32(x);
      const wp = arena.putF32(w);
      const bp = bias ? arena.putF32(bias) : 0;
      const yp = arena.outF32(y);
      const sp = arena.alloc(wasm.f32_dwconv2d_scratch(gp) * 4);
      wasm.f32_dwconv2d(gp, xp, wp, bp, yp, sp);
      arena.getF32(yp, y);
    });
  }

  depthwiseConv2dBackwardData(g: ConvGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const gp = arena.putI32(convRecord(g));
      const dyp = arena.putF32(dy);
      const wp = arena.putF32(w);
      const dxp = arena.alloc(dx.length * 4);
      const sp = arena.alloc(wasm.f32_dwconv2d_backward_data_scratch(gp) * 4);
      wasm.f32_dwconv2d_backward_data(gp, dyp, wp, dxp, sp);
      arena.getF32(dxp, dx);
    });
  }

  depthwiseConv2dBackwardFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const gp = arena.putI32(convRecord(g));
      const xp = arena.putF32(x);
      const dyp = arena.putF32(dy);
      const dwp = arena.alloc(dw.length * 4);
      const dbp = arena.alloc(db.length * 4);
      wasm.f32_dwconv2d_backward_filter(gp, xp, dyp, dwp, dbp);
      arena.getF32(dwp, dw);
      arena.getF32(dbp, db);
    });
  }

  maxPool2d(g: PoolGeometry, x: Float32Array, y: Float32Array, switches: Int32Array): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const gp = arena.putI32(poolRecord(g));
      const xp = arena.putF32(x);
      const yp = arena.outF32(y);
      const sp = arena.alloc(switches.length * 4);
      wasm.f32_max_pool2d(gp, xp, yp, sp);
      arena.getF32(yp, y);
      arena.getI32(sp, switches);
    });
  }

  maxUnpool2d(g: PoolGeometry, r: Float32Array, switches: Int32Array, dx: Float32Array): number {
    const { arena, wasm } = this;
    return arena.scope(() => {
      const gp = arena.putI32(poolRecord(g));
      const rp = arena.putF32(r);
      const sp = arena.putI32(switches);
      const dxp = arena.alloc(dx.length * 4);
      const bad = wasm.f32_max_unpool2d(gp, rp, sp, dxp);
      if (bad < 0) arena.getF32(dxp, dx);
      return bad;
    });
  }

  avgPool2d(g: PoolGeometry, x: Float32Array, y: Float32Array): void {
    this.poolPass(g, x, y, (gp, a, b) => this.wasm.f32_avg_pool2d(gp, a, b));
  }

  avgPool2dBackward(g: PoolGeometry, dy: Float32Array, dx: Float32Array): void {
    this.poolPass(g, dy, dx, (gp, a, b) => this.wasm.f32_avg_pool2d_backward(gp, a, b));
  }

  private poolPass(g: PoolGeometry, input: Float32Array, output: Float32Array, call: (gp: number, inp: number, outp: number) => void): void {
    const { arena } = this;
    arena.scope(() => {
      const gp = arena.putI32(poolRecord(g));
      const ip = arena.putF32(input);
      const op = arena.outF32(output);
      call(gp, ip, op);
      arena.getF32(op, output);
    });
  }

  matmul(
    m: number, n: number, k: number,
    a: Float32Array, transA: boolean,
    b: Float32Array, transB: boolean,
    bias: Float32Array | null, biasAxis: BiasAxis,
    c: Float32Array,
  ): void {
    if (!transB && streamsB(b)) {
      this.matmulStreamed(m, n, k, a, transA, b, bias, biasAxis, c);
      return;
    }
    const { arena, wasm } = this;
    arena.scope(() => {
      let ap = arena.putF32(a);
      const streamed = streamsB(b);
      const bp = streamed ? 0 : arena.putF32(b);
      const biasPtr = bias ? arena.putF32(bias) : 0;
      const rowBias = biasAxis === 'row' ? biasPtr : 0;
      const colBias = biasAxis === 'col' ? biasPtr : 0;
      const cp = arena.outF32(c);
      if (!transB) {
        wasm.f32_gemm(m, n, k, ap, transA ? m : k, transA ? 1 : 0, bp, n, cp, n, rowBias, colBias, 0);
      } else {
        // gemm_nt takes dot products of rows, so a transposed A is transposed back first.
        if (transA) {
          const at = arena.alloc(m * k * 4);
          wasm.f32_transpose(k, m, ap, at);
          ap = at;
        }
        // gemm_nt has no bias: start C at the bias and accumulate onto it.
        if (bias) wasm.f32_gemm(m, n, 0, ap, k, 0, bp, n, cp, n, rowBias, colBias, 0);
        if (streamed) this.gemmNtStreamed(m, n, k, ap, b, cp, bias ? 1 : 0);
        else wasm.f32_gemm_nt(m, n, k, ap, k, bp, k, cp, n, bias ? 1 : 0);
      }
      arena.getF32(cp, c);
    });
  }

  private matmulStreamed(m: number, n: number, k: number, a: Float32Array, transA: boolean, b: Float32Array, bias: Float32Array | null, biasAxis: BiasAxis, c: Float32Array): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const ap = arena.putF32(a);
      const biasPtr = bias ? arena.putF32(bias) : 0;
      const cp = arena.outF32(c);
      const depth = wasm.f32_gemm_k_block(k);
      const block = arena.alloc(depth * n * 4);
      const lda = transA ? m : k;
      for (let pc = 0; pc < k; pc += depth) {
        const kc = Math.min(depth, k - pc);
        arena.setF32(block, b.subarray(pc * n, (pc + kc) * n));
        const first = pc === 0;
        const rowBias = first && biasAxis === 'row' ? biasPtr : 0;
        const colBias = first && biasAxis === 'col' ? biasPtr : 0;
        this.gemmBlock(m, n, kc, ap + (transA ? pc * m : pc) * 4, lda, transA ? 1 : 0, block, cp, rowBias, colBias, first ? 0 : 1);
      }
      arena.getF32(cp, c);
    });
  }

  /** Inside an arena scope: C (m, n) (+)= A (m, k) * B^T with B (n, k) copied in a block of its rows (C's columns) at a time. */
  private gemmNtStreamed(m: number, n: number, k: number, ap: number, b: Float32Array, cp: number, accumulate: number): void {
    // an even number of rows, as gemm_nt pairs C's columns
    const rows = Math.max(2, Math.floor(STREAMED_BLOCK_FLOATS / k / 8) * 8);
    const block = this.arena.alloc(rows * k * 4);
    for (let j0 = 0; j0 < n; j0 += rows) {
      const j1 = Math.min(n, j0 + rows);
      this.arena.setF32(block, b.subarray(j0 * k, j1 * k));
      this.wasm.f32_gemm_nt(m, j1 - j0, k, ap, k, block, k, cp + j0 * 4, n, accumulate);
    }
  }

  /** One K block of a streamed matmul: C (m, n) (+)= op(A) block * B block (kc, n), B packed tight. */
  protected gemmBlock(m: number, n: number, kc: number, ap: number, lda: number, transA: number, bp: number, cp: number, rowBias: number, colBias: number, accumulate: number): void {
    this.wasm.f32_gemm(m, n, kc, ap, lda, transA, bp, n, cp, n, rowBias, colBias, accumulate);
  }

  relu(x: Float32Array, y: Float32Array): void {
    this.unary(x, y, (count, xp, yp) => this.wasm.f32_relu(count, xp, yp));
  }

  reluBackward(rule: ReluRule, r: Float32Array, z: Float32Array, out: Float32Array): void {
    const code = RELU_RULE_CODES[rule];
    this.binary(r, z, out, (count, rp, zp, op) => this.wasm.f32_relu_backward(code, count, rp, zp, op));
  }

  sigmoid(x: Float32Array, y: Float32Array): void {
    this.unary(x, y, (count, xp, yp) => this.wasm.f32_sigmoid(count, xp, yp));
  }

  tanh(x: Float32Array, y: Float32Array): void {
    this.unary(x, y, (count, xp, yp) => this.wasm.f32_tanh(count, xp, yp));
  }

  sigmoidBackward(r: Float32Array, a: Float32Array, out: Float32Array): void {
    this.binary(r, a, out, (count, rp, ap, op) => this.wasm.f32_sigmoid_backward(count, rp, ap, op));
  }

  tanhBackward(r: Float32Array, a: Float32Array, out: Float32Array): void {
    this.binary(r, a, out, (count, rp, ap, op) => this.wasm.f32_tanh_backward(count, rp, ap, op));
  }

  activation(fn: KernelActivation, x: Float32Array, y: Float32Array): void {
    const { wasm } = this;
    const kernel = {
      relu6: wasm.f32_relu6, swish: wasm.f32_swish, hard_swish: wasm.f32_hard_swish, gelu: wasm.f32_gelu, gelu_tanh: wasm.f32_gelu_tanh,
    }[fn];
    this.unary(x, y, (count, xp, yp) => kernel(count, xp, yp));
  }

  activationBackward(fn: KernelActivation, rule: ReluRule, r: Float32Array, z: Float32Array, out: Float32Array): void {
    const { wasm } = this;
    if (fn === 'relu6') {
      const code = RELU_RULE_CODES[rule];
      this.binary(r, z, out, (count, rp, zp, op) => wasm.f32_relu6_backward(code, count, rp, zp, op));
      return;
    }
    const kernel = { swish: wasm.f32_swish_backward, hard_swish: wasm.f32_hard_swish_backward, gelu: wasm.f32_gelu_backward, gelu_tanh: wasm.f32_gelu_tanh_backward }[fn];
    this.binary(r, z, out, (count, rp, zp, op) => kernel(count, rp, zp, op));
  }

  softmax(rows: number, cols: number, x: Float32Array, y: Float32Array): void {
    this.unary(x, y, (_count, xp, yp) => this.wasm.f32_softmax(rows, cols, xp, yp));
  }

  channelAffine(n: number, channels: number, inner: number, x: Float32Array, scale: Float32Array, shift: Float32Array, y: Float32Array): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const xp = arena.putF32(x);
      const sp = arena.putF32(scale);
      const tp = arena.putF32(shift);
      const yp = arena.outF32(y);
      wasm.f32_channel_affine(n, channels, inner, xp, sp, tp, yp);
      arena.getF32(yp, y);
    });
  }

  add(a: Float32Array, b: Float32Array, out: Float32Array): void {
    this.binary(a, b, out, (count, ap, bp, op) => this.wasm.f32_add(count, ap, bp, op));
  }

  mul(a: Float32Array, b: Float32Array, out: Float32Array): void {
    this.binary(a, b, out, (count, ap, bp, op) => this.wasm.f32_mul(count, ap, bp, op));
  }

  scale(a: Float32Array, s: number, out: Float32Array): void {
    this.unary(a, out, (count, ap, op) => this.wasm.f32_scale(count, ap, s, op));
  }

  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, alpha: number, beta1: number, beta2: number, epsilon: number): void {
    const { arena, wasm } = this;
    arena.scope(() => {
      const wp = arena.putF32(w);
      const gp = arena.putF32(g);
      const mp = arena.putF32(m);
      const vp = arena.putF32(v);
      wasm.f32_adam(w.length, wp, gp, mp, vp, alpha, 1 - beta1, 1 - beta2, epsilon);
      arena.getF32(wp, w);
      arena.getF32(mp, m);
      arena.getF32(vp, v);
    });
  }

  private unary(x: Float32Array, y: Float32Array, call: (count: number, xp: number, yp: number) => void): void {
    const { arena } = this;
    arena.scope(() => {
      const xp = arena.putF32(x);
      const yp = arena.outF32(y);
      call(x.length, xp, yp);
      arena.getF32(yp, y);
    });
  }

  private binary(a: Float32Array, b: Float32Array, out: Float32Array, call: (count: number, ap: number, bp: number, op: number) => void): void {
    const { arena } = this;
    arena.scope(() => {
      const ap = arena.putF32(a);
      const bp = arena.putF32(b);
      const op = arena.outF32(out);
      call(a.length, ap, bp, op);
      arena.getF32(op, out);
    });
  }
}

const sets = new Map<WasmBuild, WasmKernelSet>();

export function wasmKernels(build: WasmBuild): WasmKernelSet {
  let set = sets.get(build);
  if (!set) {
    set = new WasmKernelSet(build, wasmInstance(build));
    sets.set(build, set);
  }
  return set;
}

/** Bytes of wasm memory a build holds now (tests use it to check that calls do not leak). */
export function wasmMemoryBytes(build: WasmBuild): number {
  return wasmKernels(build).arena.bytes;
}
