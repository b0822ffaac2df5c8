import { ConvscopeError } from './errors.ts';

/**
 * NaN and Infinity in a model's input or result: refused, because every number downstream of
 * one is meaningless (a NaN input prints "class 0 NaN" and looks like an answer). One pass over
 * the values; the message says how many there are and where the first one is.
 */

export interface NonFiniteCount {
  nan: number;
  infinite: number;
  /** Flat index of the first non-finite value, -1 when there is none. */
  first: number;
}

export function countNonFinite(data: ArrayLike<number>): NonFiniteCount {
  let nan = 0;
  let infinite = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is 0 for every finite v and NaN for NaN and ±Infinity: one comparison in the common case.
    if (v - v !== 0) {
      if (v !== v) nan++;
      else infinite++;
      if (first < 0) first = i;
    }
  }
  return { nan, infinite, first };
}

/** The flat index as a position in shape, e.g. [0, 2, 5, 7]. */
function position(index: number, shape: readonly number[]): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(index % shape[d]);
    index = Math.floor(index / shape[d]);
  }
  return `[${at.join(', ')}]`;
}

function counted({ nan, infinite, first }: NonFiniteCount, shape: readonly number[]): string {
  const parts = [nan > 0 ? `${nan} NaN` : '', infinite > 0 ? `${infinite} infinite` : ''].filter(Boolean).join(' and ');
  return `${parts} value${nan + infinite === 1 ? '' : 's'} (the first at ${position(first, shape)})`;
}

/**
 * Refuses an input with NaN or Infinity in it, unless the caller allows them.
 * `what` names it for the message (e.g. 'the input').
 */
export function checkFiniteInput(data: ArrayLike<number>, shape: readonly number[], what: string, allowNonFinite = false): void {
  refuseNonFinite(data, shape, allowNonFinite, (counts) =>
    `${what} has ${counts}; check how it was scaled (--scale, --mean, --std), ` +
    'or pass allowNonFinite: true (--allow-nonfinite) to run it anyway');
}

/**
 * Refuses a result with NaN or Infinity in it (an overflow, or weights that are not finite),
 * unless the caller allowed non-finite values. `what` names it (e.g. "the output of layer 'fc'").
 */
export function checkFiniteResult(data: ArrayLike<number>, shape: readonly number[], what: string, allowNonFinite = false): void {
  refuseNonFinite(data, shape, allowNonFinite, (counts) =>
    `${what} has ${counts}, so it is not a result; the input's scale (--scale, --mean, --std) ` +
    'or the model\'s weights are out of range (pass allowNonFinite: true to get the values anyway)');
}

function refuseNonFinite(data: ArrayLike<number>, shape: readonly number[], allowNonFinite: boolean, message: (counts: string) => string): void {
  if (allowNonFinite) return;
  const count = countNonFinite(data);
  if (count.first >= 0) throw new ConvscopeError('E_NONFINITE', message(counted(count, shape)));
}
