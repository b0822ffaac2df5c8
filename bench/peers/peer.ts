// What the bench runner needs from a peer: the same workload, on the same inputs, through
// another engine. Each adapter copies the operands into its engine once, outside the timing
// (weights as constants, as a network holds them); a timed run is the op on inputs already
// there plus the read-back of its output into JavaScript, which is what convscope's own
// timing includes (its kernels copy in and out of wasm memory on every call).
import type { Output, Workload } from '../workloads.ts';

export interface PeerRun {
  /** One timed call. */
  run(): unknown;
  /** One call's output in convscope's layout (NCHW, switches row * W + col within a plane), untimed, for the check. */
  output(): Promise<Output>;
  dispose(): Promise<void> | void;
}

export interface Peer {
  /** Column name in the table, e.g. `tfjs-wasm`. */
  name: string;
  /** One line: package, version, build and threads. */
  description: string;
  /** Where the comparison is not one-to-one, printed under the table. */
  notes: readonly string[];
  /** null when the peer does not run this workload. */
  prepare(w: Workload): Promise<PeerRun | null>;
}

/**
 * The peers live in bench/peers/node_modules, which may not exist (`--no-peers`, or a failed
 * install), so they are imported by a computed specifier: type checking the project never
 * needs them, and each adapter declares the small part of its peer's API that it uses.
 */
export async function importPeer<T>(specifier: string): Promise<T> {
  return (await import(specifier)) as T;
}

/** (C,H,W) planes to (H,W,C), for the channels-last peer. */
export function chwToHwc(data: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let ci = 0; ci < c; ci++) {
    for (let i = 0; i < h * w; i++) out[i * c + ci] = data[ci * h * w + i];
  }
  return out;
}

export function hwcToChw<T extends Float32Array | Int32Array>(data: T, c: number, h: number, w: number): T {
  const out = data.slice() as T;
  for (let ci = 0; ci < c; ci++) {
    for (let i = 0; i < h * w; i++) out[ci * h * w + i] = data[i * c + ci];
  }
  return out;
}

/** (Cout,Cin,KH,KW) to (KH,KW,Cin,Cout), tfjs's filter layout. */
export function oihwToHwio(data: Float32Array, cout: number, cin: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let k = 0; k < kh * kw; k++) out[(k * cin + i) * cout + o] = data[(o * cin + i) * kh * kw + k];
    }
  }
  return out;
}
