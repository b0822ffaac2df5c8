import { ConvscopeError } from '../errors.ts';
import { formatBytes } from '../limits.ts';

const ALIGN = 16;
const PAGE = 65536;

/** Thrown when a kernel call would grow the memory while a pass's tensors live in it (growing detaches their views). */
export class PassGrowth extends Error {}

/**
 * A bump allocator over a wasm memory, reset after every kernel call: the memory grows to the
 * largest call's needs once and then stays that size, so repeated calls never leak.
 *
 * During a pass (beginPass .. endPass), the tensors of one forward pass may live in this memory
 * too, below the calls' room: JS sees them as views, and a kernel reads its operands and writes
 * its result in place instead of copying them in and out. The memory may not grow then (that
 * would detach the views): a call that needs more throws PassGrowth, and the caller runs the
 * pass again with its tensors in JS memory. The calls' largest need is remembered for the next
 * reservation.
 */
export class Arena {
  private base: number;
  private top: number;
  /** The pass's tensors: [passStart, passEnd), taken up to passTop; passEnd < 0 outside a pass. */
  private passStart = 0;
  private passTop = 0;
  private passEnd = -1;
  /** The most bytes one call has taken above base. */
  private callPeak = 0;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    this.base = align(heapBase);
    this.top = this.base;
  }

  /** Reserves `bytes` for a pass's tensors, and room for the largest call seen so far above them. */
  beginPass(bytes: number): void {
    if (this.passEnd >= 0 || this.top !== this.base) throw new Error('arena: a pass begins only between kernel calls, and one at a time');
    const end = align(this.base + bytes);
    const short = end + this.callPeak - this.memory.buffer.byteLength;
    if (short > 0) this.grow(Math.ceil(short / PAGE));
    this.passStart = this.passTop = this.base;
    this.passEnd = end;
    this.base = this.top = end;
  }

  /** A zeroed view of `size` floats among the pass's tensors, or null when the reservation is used up. */
  takePass(size: number): Float32Array | null {
    const end = align(this.passTop + size * 4);
    if (this.passEnd < 0 || end > this.passEnd) return null;
    const view = new Float32Array(this.memory.buffer, this.passTop, size);
    view.fill(0);
    this.passTop = end;
    return view;
  }

  /** Frees the pass's tensors: their views must not be used after this. */
  endPass(): void {
    if (this.passEnd < 0) return;
    this.base = this.top = this.passStart;
    this.passEnd = -1;
  }

  /** Where values lie in this memory, or -1 when they are not a view of it. */
  private addressOf(values: Float32Array | Int32Array): number {
    return values.buffer === this.memory.buffer ? values.byteOffset : -1;
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  alloc(bytes: number): number {
    const ptr = this.top;
    const top = align(ptr + Math.max(bytes, 0));
    const short = top - this.memory.buffer.byteLength;
    if (short > 0) {
      if (this.passEnd >= 0) {
        this.callPeak = Math.max(this.callPeak, top - this.base);
        throw new PassGrowth('a kernel call needs more wasm memory than the pass reserved');
      }
      this.grow(Math.ceil(short / PAGE));
    }
    this.top = top;
    this.callPeak = Math.max(this.callPeak, top - this.base);
    return ptr;
  }

  /** Grows the memory by `pages`; wasm's own RangeError (past 4 GiB, or the host refusing) becomes one line with the size. */
  private grow(pages: number): void {
    try {
      this.memory.grow(pages);
    } catch {
      const needed = this.memory.buffer.byteLength + pages * PAGE;
      throw new ConvscopeError(
        'E_TOO_LARGE',
        `this computation needs ${formatBytes(needed)} of WebAssembly memory (it has ${formatBytes(this.memory.buffer.byteLength)}), more than it can grow to; use smaller inputs or a smaller batch`,
      );
    }
  }

  /** Copies values in (a view of this memory is used where it is); views are made after the allocation because growing detaches old ones. */
  putF32(values: Float32Array): number {
    const at = this.addressOf(values);
    if (at >= 0) return at;
    const ptr = this.alloc(values.length * 4);
    this.setF32(ptr, values);
    return ptr;
  }

  /** Copies values to ptr, already allocated. */
  setF32(ptr: number, values: Float32Array): void {
    new Float32Array(this.memory.buffer, ptr, values.length).set(values);
  }

  putI32(values: Int32Array | readonly number[]): number {
    const ptr = this.alloc(values.length * 4);
    new Int32Array(this.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }

  /** Room for a result: its own place when it is a view of this memory (nothing to copy out then), else fresh room. */
  outF32(out: Float32Array): number {
    const at = this.addressOf(out);
    return at >= 0 ? at : this.alloc(out.length * 4);
  }

  getF32(ptr: number, out: Float32Array): void {
    if (this.addressOf(out) === ptr) return;
    out.set(new Float32Array(this.memory.buffer, ptr, out.length));
  }

  getI32(ptr: number, out: Int32Array): void {
    out.set(new Int32Array(this.memory.buffer, ptr, out.length));
  }

  /** Runs fn with a fresh arena and frees everything it allocated afterwards, also on a throw. */
  scope<T>(fn: () => T): T {
    const mark = this.top;
    try {
      return fn();
    } finally {
      this.top = mark;
    }
  }
}

export function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
