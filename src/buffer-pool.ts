import { PassGrowth, align } from './runtime/arena.ts';

/** What a pass needs of a kernel set's wasm memory (runtime/arena.ts's Arena). */
export interface PassMemory {
  beginPass(bytes: number): void;
  takePass(size: number): Float32Array | null;
  endPass(): void;
}

/**
 * Memory for passes whose tensors die with them (Model.predict and walkBackward keep only their
 * result, which they copy out before the pass ends). Allocating a fresh zeroed buffer for every
 * op's output, and collecting it afterwards, took about a quarter of a MobileNetV2 forward, and
 * copying each op's operands into wasm memory and its result out again most of another quarter.
 * While a pass runs under a pool, every tensor made without data takes its buffer from the pool:
 * - with a wasm kernel set, as a view of the kernels' own memory (Arena.beginPass), so that
 *   kernels read and write the tensors where they are; the reservation is the largest need seen,
 *   and a pass that outgrows it runs again in JS memory;
 * - otherwise (and for the first pass, which measures the need) as a JS buffer recycled from the
 *   last pass.
 * Nothing made inside the pass may outlive it.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private lent: Float32Array[] = [];
  /** Bytes the pass asked for so far, and what the last whole pass asked for. */
  private asked = 0;
  private wanted = 0;
  private arena: PassMemory | null = null;

  /** A zeroed buffer of `size` floats. */
  take(size: number): Float32Array {
    this.asked += align(size * 4);
    const view = this.arena?.takePass(size);
    if (view) return view;
    const buffer = this.free.get(size)?.pop();
    if (buffer) buffer.fill(0);
    const out = buffer ?? new Float32Array(size);
    this.lent.push(out);
    return out;
  }

  /** Runs one pass; `arena`: the memory its tensors may live in (null: JS memory). */
  run<T>(pass: () => T, arena: PassMemory | null): T {
    const outer = active;
    active = this;
    this.arena = arena;
    this.asked = 0;
    try {
      return pass();
    } finally {
      active = outer;
      this.arena = null;
      this.wanted = arena === null ? this.asked : Math.max(this.wanted, this.asked);
      this.release();
    }
  }

  /** What a pass in wasm memory reserves: the largest need of the passes since the last one in JS memory (0 before the first pass). */
  get reservation(): number {
    return this.wanted;
  }

  /**
   * Every JS buffer lent since the last release is free again; the free ones the pass did not
   * take are dropped, so that the pool holds at most one pass's buffers (of the last pass's sizes).
   */
  private release(): void {
    this.free.clear();
    for (const buffer of this.lent) {
      const list = this.free.get(buffer.length);
      if (list) list.push(buffer);
      else this.free.set(buffer.length, [buffer]);
    }
    this.lent = [];
  }
}

let active: BufferPool | null = null;

/** Wasm memory never shrinks: a pass that needs more than this (a big batch) keeps its tensors in JS memory. */
const MAX_RESERVATION = 1 << 30;

/** The pool tensors take their buffers from, or null (fresh buffers). */
export function activePool(): BufferPool | null {
  return active;
}

/**
 * Runs a pass whose tensors all die with it under `pool`, in `arena` (a wasm set's memory) once
 * the pool knows the pass's size, else in recycled JS buffers. The pass must copy out whatever it
 * keeps before it returns. It may run twice: a pass that outgrows the wasm
 * reservation is run again in JS memory.
 */
export function withBufferPool<T>(pool: BufferPool, pass: () => T, arena: PassMemory | null = null): T {
  if (arena !== null && pool.reservation > 0 && pool.reservation <= MAX_RESERVATION) {
    let reserved = false;
    try {
      arena.beginPass(pool.reservation);
      reserved = true;
      return pool.run(pass, arena);
    } catch (e) {
      // a reservation the memory cannot grow to, or a call that outgrew it: JS memory this time
      if (reserved && !(e instanceof PassGrowth)) throw e;
    } finally {
      arena.endPass();
    }
  }
  return pool.run(pass, null);
}
