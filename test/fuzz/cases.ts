/** The fuzz cases of every file category, generated from the seeds by the project's seeded generator. */
import { seededRandom } from '../../src/methods/random.ts';
import { pick, type Rng } from './mutate-bytes.ts';
import { mutateH5, mutateJpeg, mutateNpy, mutatePng } from './mutate-formats.ts';
import { mutateFolder } from './mutate-model.ts';
import { argumentCase } from './arg-cases.ts';
import type { FuzzCase } from './case.ts';
import type { Seeds } from './seeds.ts';

/** Cases per category in `npm test` (quick) and with CONVSCOPE_FUZZ=full. */
export const COUNTS = {
  png: [24, 300],
  jpeg: [20, 250],
  npy: [20, 250],
  'model-folder': [36, 400],
  h5: [16, 200],
  args: [60, 450],
} as const;

export type Category = keyof typeof COUNTS | 'special-files';

/** The commands a mutated input image or .npy goes through (the shipped model). */
function inputCommand(rng: Rng, input: string): string[] {
  return pick(rng, [
    ['predict', input],
    ['predict', input, '--out', 'p.npy'],
    ['activations', input, '--layer', 'conv2', '--out', 'a.npy'],
    ['gradcam', input, '--layer', 'conv2', '--out', 'g.npy'],
    ['occlusion', input, '--size', '7', '--stride', '7', '--out', 'o.npy'],
    ['deconv', input, '--layer', 'conv2', '--out', 'd.npy'],
    ['predict', input, '--scale', '0.5'],
  ]);
}

/** The commands a mutated model goes through, on good inputs. */
function modelSteps(rng: Rng, model: string, convertible: boolean): string[][] {
  const steps = [
    [['info', model]],
    [['predict', model, 'digit.npy']],
    [['predict', model, 'digit.png', '--out', 'p.npy']],
    [['activations', model, 'digit.npy', '--layer', 'conv1', '--out', 'a.npy']],
    [['deconv', model, 'digit.npy', '--layer', 'conv2', '--out', 'd.npy']],
    [['gradcam', model, 'digit.npy', '--layer', 'conv2', '--out', 'g.npy']],
  ];
  // A converted folder must load: `convert` refuses what it cannot write runnable.
  if (convertible) steps.push([['convert', model, 'converted'], ['info', 'converted']], [['convert', model, 'converted'], ['info', 'converted']]);
  return pick(rng, steps);
}

function caseOf(category: Category, n: number, note: string, files: FuzzCase['files'], steps: string[][]): FuzzCase {
  return { category, id: `${category}#${n}`, note, files, steps };
}

function fileCase(category: keyof typeof COUNTS, n: number, rng: Rng, s: Seeds): FuzzCase {
  const inputs = { 'digit.npy': s.npy, 'digit.png': s.png };
  switch (category) {
    case 'png': {
      const m = mutatePng(rng, s.png);
      return caseOf(category, n, m.note, { 'x.png': m.bytes }, [inputCommand(rng, 'x.png')]);
    }
    case 'jpeg': {
      const m = mutateJpeg(rng, s.jpeg);
      return caseOf(category, n, m.note, { 'x.jpg': m.bytes }, [inputCommand(rng, 'x.jpg')]);
    }
    case 'npy': {
      const m = mutateNpy(rng, s.npy, s.pixels);
      return caseOf(category, n, m.note, { 'x.npy': m.bytes }, [inputCommand(rng, 'x.npy')]);
    }
    case 'model-folder': {
      const m = mutateFolder(rng, s.modelJson, s.weightsBin);
      const files: FuzzCase['files'] = { ...inputs, 'model/': '' };
      if (m.modelJson !== undefined) files['model/model.json'] = m.modelJson;
      if (m.weightsBin !== undefined) files['model/weights.bin'] = m.weightsBin;
      return caseOf(category, n, m.note, files, modelSteps(rng, 'model', false));
    }
    case 'h5': {
      const m = mutateH5(rng, s.h5 as Uint8Array);
      return caseOf(category, n, m.note, { ...inputs, 'model.h5': m.bytes }, modelSteps(rng, 'model.h5', true));
    }
    case 'args':
      return argumentCase(n, rng, s);
  }
}

/** The few cases that must run as a real process: pipes, devices, a closed stdin, /proc. */
function specialCases(s: Seeds): FuzzCase[] {
  const inputs = { 'digit.npy': s.npy, 'digit.png': s.png };
  const list: [string, Partial<FuzzCase>, string[]][] = [
    ['a named pipe as the model', { fifos: ['pipe.h5'] }, ['info', 'pipe.h5']],
    ['a named pipe as the input', { fifos: ['pipe.png'] }, ['predict', 'pipe.png']],
    ['a named pipe as a .npy input', { fifos: ['pipe.npy'] }, ['predict', 'pipe.npy']],
    ['/dev/zero as the model', {}, ['info', '/dev/zero']],
    ['/dev/zero as the input', {}, ['predict', '/dev/zero']],
    ['a link to /dev/zero as an .npy input', { links: { 'zero.npy': '/dev/zero' } }, ['predict', 'zero.npy']],
    ['a link to /dev/zero as a model folder file', { links: { 'model/model.json': '/dev/zero' }, files: { 'model/': '' } }, ['info', 'model']],
    ['/dev/stdin (closed) as the input', {}, ['predict', '/dev/stdin']],
    ['convert into /proc', { files: { 'weights/model.json': s.modelJson, 'weights/weights.bin': s.weightsBin } }, ['convert', 'weights', '/proc/x']],
    ['explain into /proc', {}, ['explain', 'digit.png', '--out', '/proc/x']],
  ];
  return list.map(([note, extra, argv], n) => ({
    category: 'special-files', id: `special-files#${n}`, note, process: true, steps: [argv],
    ...extra, files: { ...inputs, ...(extra.files ?? {}) },
  }));
}

export function buildCases(full: boolean, seed: number, s: Seeds): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const [category, [quick, many]] of Object.entries(COUNTS) as [keyof typeof COUNTS, readonly [number, number]][]) {
    if (category === 'h5' && s.h5 === undefined) continue;
    for (let n = 0; n < (full ? many : quick); n++) {
      const rng = seededRandom(seed * 1_000_003 + hash(category) + n * 7919);
      cases.push(fileCase(category, n, rng, s));
    }
  }
  return [...specialCases(s), ...cases];
}

function hash(text: string): number {
  let h = 0;
  for (const c of text) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h;
}
