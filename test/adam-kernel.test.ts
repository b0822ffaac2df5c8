// The Adam kernel (kernel-set.ts: adam) on every kernel set: a first step worked out by hand,
// then several steps against the float64 reference at lengths around the 4-lane tiles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import { kernelSet } from '../src/runtime/backend.ts';
import { seededRandom } from './helpers/random.ts';

const [LR, B1, B2, EPS] = [0.001, 0.9, 0.999, 1e-7];

for (const set of KERNEL_SET_NAMES) {
  test(`adam's first step from zero moments moves each weight by about lr against its gradient's sign [${set}]`, () => {
    const g = Float32Array.from([2, -0.5, 1e-3, 0, -4]);
    const w = Float32Array.from([1, 1, 1, 1, 1]);
    const m = new Float32Array(5);
    const v = new Float32Array(5);
    const alpha = (LR * Math.sqrt(1 - B2)) / (1 - B1);
    kernelSet(set).adam(w, g, m, v, alpha, B1, B2, EPS);
    g.forEach((gi, i) => {
      assert.ok(Math.abs(m[i] - 0.1 * gi) <= 1e-7 * Math.abs(gi), `m[${i}] = ${m[i]}`);
      assert.ok(Math.abs(v[i] - 0.001 * gi * gi) <= 1e-6 * gi * gi, `v[${i}] = ${v[i]}`);
      // alpha * 0.1g / (sqrt(0.001) |g| + eps) = lr * sign(g), up to epsilon
      const want = 1 - (gi === 0 ? 0 : (LR * Math.sign(gi) * Math.abs(gi)) / (Math.abs(gi) + EPS / Math.sqrt(1 - B2)));
      assert.ok(Math.abs(w[i] - want) <= 1e-6, `w[${i}] = ${w[i]}, want ${want}`);
    });
  });

  test(`adam agrees with the reference over 5 steps at lengths 1..9 and 37 [${set}]`, () => {
    const rng = seededRandom(5);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 37]) {
      const w = Float32Array.from({ length: n }, () => rng() * 2 - 1);
      const [wr, m, v, mr, vr] = [w.slice(), new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      for (let t = 1; t <= 5; t++) {
        const g = Float32Array.from({ length: n }, () => (rng() * 2 - 1) * 10 ** Math.floor(rng() * 6 - 4));
        const alpha = (LR * Math.sqrt(1 - B2 ** t)) / (1 - B1 ** t);
        kernelSet(set).adam(w, g, m, v, alpha, B1, B2, EPS);
        kernelSet('reference').adam(wr, g, mr, vr, alpha, B1, B2, EPS);
      }
      for (let i = 0; i < n; i++) {
        assert.ok(Math.abs(w[i] - wr[i]) <= 1e-6 * Math.max(1, Math.abs(wr[i])), `n ${n}: w[${i}] ${w[i]} vs ${wr[i]}`);
        assert.ok(Math.abs(m[i] - mr[i]) <= 1e-5 * Math.abs(mr[i]) + 1e-12, `n ${n}: m[${i}] ${m[i]} vs ${mr[i]}`);
        assert.ok(Math.abs(v[i] - vr[i]) <= 1e-5 * Math.abs(vr[i]) + 1e-18, `n ${n}: v[${i}] ${v[i]} vs ${vr[i]}`);
      }
    }
  });
}

test.run();
