import { formatShape, type Tensor } from '../../src/tensor.ts';

/**
 * null when `out` matches the reference within SEMANTICS.md's tolerance (max|out - ref| <=
 * 1e-4 * max|ref| + 1e-6, a NaN never within), else what is wrong, for the test's message.
 */
export function goldenMismatch(out: Tensor, ref: Tensor): string | null {
  if (formatShape(out.shape) !== formatShape(ref.shape)) return `shape ${formatShape(out.shape)} vs ${formatShape(ref.shape)}`;
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < ref.size; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
    maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - ref.data[i]) || (Number.isNaN(out.data[i]) ? Infinity : 0));
  }
  return maxDiff <= 1e-4 * maxRef + 1e-6 ? null : `max|out-ref| ${maxDiff} > tolerance (max|ref| ${maxRef})`;
}
