/** Format-blind mutations of a file's bytes; each returns the new bytes and what it did. */
export type Rng = () => number;

export interface Mutation {
  bytes: Uint8Array;
  note: string;
}

export const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80];

export function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

export function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[int(rng, list.length)];
}

/** An offset in [from, to): mostly near the start, where headers are, sometimes anywhere. */
function offset(rng: Rng, length: number, from = 0, to = length): number {
  const span = Math.max(1, to - from);
  return from + (rng() < 0.5 ? int(rng, Math.min(span, 256)) : int(rng, span));
}

export function bitFlips(rng: Rng, input: Uint8Array, from = 0, to = input.length): Mutation {
  const bytes = input.slice();
  const flips = 1 + int(rng, 4);
  const at: number[] = [];
  for (let i = 0; i < flips; i++) {
    const o = offset(rng, bytes.length, from, to);
    bytes[o] ^= 1 << int(rng, 8);
    at.push(o);
  }
  return { bytes, note: `bit flips at ${at.join(',')}` };
}

export function interestingBytes(rng: Rng, input: Uint8Array, from = 0, to = input.length): Mutation {
  const bytes = input.slice();
  const o = offset(rng, bytes.length, from, to);
  const value = pick(rng, INTERESTING_BYTES);
  const run = 1 + int(rng, 4);
  bytes.fill(value, o, Math.min(bytes.length, o + run));
  return { bytes, note: `${run} bytes 0x${value.toString(16)} at ${o}` };
}

export function truncate(rng: Rng, input: Uint8Array): Mutation {
  const at = rng() < 0.3 ? int(rng, Math.min(64, input.length)) : int(rng, input.length);
  return { bytes: input.slice(0, at), note: `truncated to ${at} bytes` };
}

export function duplicateChunk(rng: Rng, input: Uint8Array): Mutation {
  const start = int(rng, input.length);
  const length = 1 + int(rng, Math.min(512, input.length - start));
  const at = int(rng, input.length + 1);
  const chunk = input.slice(start, start + length);
  const bytes = new Uint8Array(input.length + length);
  bytes.set(input.subarray(0, at));
  bytes.set(chunk, at);
  bytes.set(input.subarray(at), at + length);
  return { bytes, note: `bytes ${start}..${start + length} copied to ${at}` };
}

export function deleteChunk(rng: Rng, input: Uint8Array): Mutation {
  const start = int(rng, input.length);
  const length = 1 + int(rng, Math.min(512, input.length - start));
  const bytes = new Uint8Array(input.length - length);
  bytes.set(input.subarray(0, start));
  bytes.set(input.subarray(start + length), start);
  return { bytes, note: `bytes ${start}..${start + length} deleted` };
}

const BYTE_MUTATORS = [bitFlips, interestingBytes, truncate, duplicateChunk, deleteChunk];

/** One format-blind mutation, chosen by the generator. */
export function mutateBytes(rng: Rng, input: Uint8Array): Mutation {
  if (input.length === 0) return { bytes: Uint8Array.of(pick(rng, INTERESTING_BYTES)), note: 'one byte into an empty part' };
  return pick(rng, BYTE_MUTATORS)(rng, input);
}
