/**
 * Float32 buffers recycled from one forward pass to the next, for passes whose tensors die with
 * them (Model.predict keeps only the output, which it copies out). Allocating a fresh zeroed
 * buffer for every op's output, and collecting it afterwards, took about a quarter of a
 * MobileNetV2 forward; a recycled buffer costs a memset. While a pass runs under a pool, every
 * tensor made without data takes its buffer from the pool; when the pass ends, they all go back.
 * Nothing made inside the pass may outlive it.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private lent: Float32Array[] = [];

  /** A zeroed buffer of `size` floats, recycled when one is free. */
  take(size: number): Float32Array {
    const buffer = this.free.get(size)?.pop();
    if (buffer) buffer.fill(0);
    const out = buffer ?? new Float32Array(size);
    this.lent.push(out);
    return out;
  }

  /**
   * Every buffer lent since the last release is free again; the free ones the pass did not take
   * are dropped, so that the pool holds at most one pass's buffers (of the last pass's sizes).
   */
  release(): void {
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

/** The pool tensors take their buffers from, or null (fresh buffers). */
export function activePool(): BufferPool | null {
  return active;
}

/** Runs a pass whose tensors all die with it under `pool`; afterwards every buffer it took is free again, also on a throw. */
export function withBufferPool<T>(pool: BufferPool, pass: () => T): T {
  const outer = active;
  active = pool;
  try {
    return pass();
  } finally {
    active = outer;
    pool.release();
  }
}
