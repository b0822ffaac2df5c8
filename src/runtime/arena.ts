import { ConvscopeError } from '../errors.ts';
import { formatBytes } from '../limits.ts';

const ALIGN = 16;
const PAGE = 65536;

/**
 * A bump allocator over a wasm memory, reset after every kernel call: the memory grows to the
 * largest call's needs once and then stays that size, so repeated calls never leak.
 */
export class Arena {
  private readonly base: number;
  private top: number;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    this.base = align(heapBase);
    this.top = this.base;
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  alloc(bytes: number): number {
    const ptr = this.top;
    const top = align(ptr + Math.max(bytes, 0));
    const short = top - this.memory.buffer.byteLength;
    if (short > 0) this.grow(Math.ceil(short / PAGE));
    this.top = top;
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

  /** Copies values in; views are made after the allocation because growing detaches old ones. */
  putF32(values: Float32Array): number {
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

  getF32(ptr: number, out: Float32Array): void {
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

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
