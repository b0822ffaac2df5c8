import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { Tensor } from '../src/tensor.ts';
import { attribute, ATTRIBUTION_METHODS } from '../src/methods/attribute.ts';
import { ConvscopeError } from '../src/errors.ts';
import { seededRandom } from '../src/methods/random.ts';

// A seeded sweep of hostile options through attribute(): every call either succeeds with finite
// numbers or throws one ConvscopeError line free of internal text (CONVSCOPE_FUZZ_SEED picks
// another seed, CONVSCOPE_FUZZ=full runs ten times as many).
const SEED = Number(process.env.CONVSCOPE_FUZZ_SEED ?? 9);
const CASES = process.env.CONVSCOPE_FUZZ === 'full' ? 20000 : 2000;
const LEAKS = /undefined|TypeError|RangeError|Cannot read|is not a function|Invalid array length|\n/;

const model = await loadModel(join(import.meta.dirname, '..', 'test', 'fixtures', 'models', 'mnist_model.h5'));
const two = new Tensor([2, 1, 28, 28], new Float32Array(2 * 784).map((_, i) => (i * 37) % 256));
const one = new Tensor([1, 28, 28], two.data.slice(0, 784));
const VALUES: unknown[] = [
  undefined, null, NaN, -1, 0, 1, 1.5, 1e9, Infinity, '3', 'conv2', [], [1], [1, 2], [1, 2, 3], [NaN], {}, { layer: 'conv2' },
  { layer: 'conv2', channel: [] }, { layer: 'conv2', channel: -1 }, { layer: 'out', channel: 3 }, { layer: 'flatten', channel: [1, 2] },
  { blur: 0 }, { blur: 1e6 }, { blur: 1e12 }, 'blur', true, () => 1, new Tensor([28, 28], new Float32Array(784).fill(NaN)),
  new Tensor([28, 28], new Float32Array(784).fill(2)), new Tensor([1, 28, 28], new Float32Array(784).fill(2)), new Tensor([2, 1, 28, 28]), new Tensor([3]),
  'simpson', 'gausslegendre', 'nearest', 'saliency', 'gradcam',
];
const KEYS = ['target', 'layer', 'baseline', 'steps', 'integration', 'abs', 'of', 'samples', 'stdevs', 'seed', 'upsample', 'interpolate', 'mask', 'grid', 'size', 'stride', 'onProgress', 'allowNonFinite', 'inputName', 'colour'];

test(`attribute: ${CASES} calls with hostile options (seed ${SEED}) succeed with finite numbers or fail with one clear line`, () => {
  const random = seededRandom(SEED);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)];
  const problems: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const options: Record<string, unknown> = { method: pick([...ATTRIBUTION_METHODS, 'ig', 'lime', undefined]) };
    for (let k = 0, n = 1 + Math.floor(random() * 3); k < n; k++) {
      const key = pick(KEYS);
      const value = pick(VALUES);
      // a huge step or sample count is work asked for, not a hang
      options[key] = (key === 'steps' || key === 'samples') && typeof value === 'number' && value > 1000 ? 7 : value;
    }
    try {
      const r = attribute(model, pick([one, two]), options as never);
      if (!r.attribution.data.every(Number.isFinite)) problems.push(`case ${i}: non-finite result for ${describeOptions(options)}`);
    } catch (e) {
      if (!(e instanceof ConvscopeError) || LEAKS.test(e.message)) problems.push(`case ${i}: ${describeOptions(options)} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }
  assert.ok(problems.length === 0, `${problems.length} of ${CASES} calls broke the contract; the first:\n  ${problems.slice(0, 5).join('\n  ')}`);
});

function describeOptions(options: Record<string, unknown>): string {
  return JSON.stringify(options, (_, v) => (v instanceof Tensor ? `Tensor[${v.shape}]` : typeof v === 'function' ? 'function' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

test.run();
