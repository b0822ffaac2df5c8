/** Valid command lines made hostile: unknown options, missing values, odd numbers and paths. */
import { int, pick, type Rng } from './mutate-bytes.ts';
import type { FuzzCase } from './case.ts';
import type { Seeds } from './seeds.ts';

type Kind = 'int' | 'num' | 'list' | 'layer' | 'out' | 'word' | 'flag';

const IMAGE = { scale: 'num', mean: 'list', std: 'list' } as const;

/** Each command: a valid command line, and the options it takes with the kind of their values. */
const COMMANDS: { argv: string[]; options: Record<string, Kind> }[] = [
  { argv: ['info', 'model'], options: {} },
  { argv: ['predict', 'digit.png'], options: { top: 'int', out: 'out', ...IMAGE } },
  { argv: ['predict', 'model', 'digit.npy', '--out', 'p.npy'], options: { top: 'int', out: 'out', ...IMAGE } },
  { argv: ['activations', 'digit.png', '--layer', 'conv2', '--out', 'a.npy'], options: { layer: 'layer', out: 'out', ...IMAGE } },
  { argv: ['deconv', 'digit.png', '--layer', 'conv2', '--channel', '3', '--out', 'd.npy'], options: { layer: 'layer', channel: 'int', unit: 'word', method: 'word', out: 'out', abs: 'flag', ...IMAGE } },
  { argv: ['top', 'digit.npy', '--layer', 'conv2', '--k', '3', '--out', 't.png'], options: { layer: 'layer', k: 'int', method: 'word', unit: 'word', out: 'out', ...IMAGE } },
  {
    argv: ['occlusion', 'digit.png', '--size', '7', '--stride', '7', '--out', 'o.npy', '--attribution', 'at.npy'],
    options: { size: 'int', stride: 'int', fill: 'num', class: 'int', layer: 'layer', channel: 'int', out: 'out', attribution: 'out', overlay: 'out', percentile: 'num', blur: 'num', batch: 'int', ...IMAGE },
  },
  { argv: ['gradcam', 'digit.png', '--layer', 'conv2', '--out', 'g.npy'], options: { layer: 'layer', class: 'int', upsample: 'flag', out: 'out', ...IMAGE } },
  {
    argv: ['attribute', 'digit.png', '--method', 'ig', '--steps', '4', '--out', 'ig.npy'],
    options: {
      method: 'word', class: 'list', node: 'layer', channel: 'list', layer: 'layer', baseline: 'list', steps: 'int', integration: 'word', signed: 'flag',
      of: 'word', samples: 'int', stdevs: 'num', seed: 'int', upsample: 'flag', interpolate: 'word', grid: 'int', mask: 'out', size: 'int', stride: 'int',
      out: 'out', sign: 'word', 'outlier-perc': 'num', ...IMAGE,
    },
  },
  {
    argv: ['maximize', '--layer', 'conv2', '--channel', '1', '--iterations', '20', '--out', 'm.npy'],
    options: { layer: 'layer', channel: 'int', lr: 'num', l2: 'num', 'blur-every': 'int', 'blur-sigma': 'num', jitter: 'int', seed: 'int', range: 'list', out: 'out' },
  },
  { argv: ['explain', 'digit.png', '--out', 'report', '--k', '2'], options: { out: 'out', k: 'int', ...IMAGE } },
  { argv: ['convert', 'model', 'converted'], options: {} },
  { argv: ['app', 'model', 'digit.png', '--out', 'site'], options: { out: 'out', ...IMAGE } },
];

const NUMBERS = ['', '-1', '0', '1e12', '1e308', 'NaN', 'Infinity', '-Infinity', '0.5', '1e-45', '1e38', ' 3', '0x10', '3abc', '-0', '2.', '9007199254740993', '٣'];
const WORDS = ['', 'bogus', 'conv9', 'CONV2', 'max ', 'all', 'deconvnet', 'salinet', 'desalinet', 'δ', '__proto__', 'constructor', 'toString', 'ig', 'scorecam', 'smoothgrad', 'gradcam++', 'riemann_left', 'nearest', 'positive'];
const LISTS = ['', ',', '1,2,3', '0', '-1', 'NaN', '1,,2', '0,0', '255,0', '1e-45', 'a,b'];
const PATHS = ['', 'missing.png', 'folder', 'folder.npy', '/proc/x', '/proc/x.npy', 'notimage.png', 'ünï cødé.png', `${'a'.repeat(300)}.png`, '-', '/dev/null', 'model', 'digit.npy', 'digit.png'];
const OUTPUTS = ['', 'folder', 'folder.npy', '/proc/x.npy', 'missing/x.npy', 'digit.npy', 'digit.png', 'x.txt', 'ünï cødé.npy', `${'b'.repeat(300)}.npy`, 'x.NPY', '.npy', 'model/weights.bin'];
const UNKNOWN = ['--frobnicate', '--Out', '-x', '--', '---out', '--out=', '-', '--help=1', '--version'];
const UNICODE = ['ünï', '日本語', '\u202e', '😀'.repeat(50), 'x'.repeat(5000)];

function valueFor(rng: Rng, kind: Kind, option: string): string {
  switch (kind) {
    case 'int':
    case 'num':
      // a huge iteration, path-step or sample count is work the user asked for, not a hang
      return ['iterations', 'steps', 'samples'].includes(option) ? pick(rng, ['', '-1', '0', '0.5', 'NaN', '3']) : pick(rng, NUMBERS);
    case 'list':
      return pick(rng, LISTS);
    case 'out':
      return pick(rng, OUTPUTS);
    case 'layer':
      return pick(rng, [...WORDS, 'conv1', 'pool2', 'flatten', 'dense1', 'out']);
    default:
      return pick(rng, WORDS);
  }
}

/** Where the option's value is (index of the value), or -1. */
function valueIndex(argv: string[], option: string): number {
  const i = argv.indexOf(`--${option}`);
  return i >= 0 && i + 1 < argv.length ? i + 1 : -1;
}

// Values no option takes: the command line must then fail, whatever else it holds.
const INVALID_NUMBERS = new Set(['', 'NaN', 'Infinity', '-Infinity', '3abc', '٣']);
const INVALID_OPTIONS = new Set(['--frobnicate', '--Out', '-x', '---out', '--help=1', '--version']);

interface ArgMutation {
  note: string;
  mustFail: boolean;
}

function mutateArgs(rng: Rng, argv: string[], options: Record<string, Kind>): ArgMutation {
  const names = Object.keys(options);
  const op = int(rng, names.length > 0 ? 9 : 4);
  const at = 1 + int(rng, argv.length);
  switch (op) {
    case 0: {
      const u = pick(rng, UNKNOWN);
      argv.splice(at, 0, u);
      return { note: `inserted ${u}`, mustFail: INVALID_OPTIONS.has(u) };
    }
    case 1: {
      const i = 1 + int(rng, Math.max(1, argv.length - 1));
      const p = pick(rng, PATHS);
      if (i < argv.length && !argv[i].startsWith('--')) argv[i] = p;
      else argv.push(p);
      return { note: `path ${p.slice(0, 20)}`, mustFail: false };
    }
    case 2: {
      const extra = pick(rng, [...UNICODE, 'digit.png', '']);
      argv.splice(at, 0, extra);
      return { note: 'an extra argument', mustFail: false };
    }
    case 3:
      argv[0] = pick(rng, ['help', '--help', 'PREDICT', 'predict ', '', 'help']);
      if (argv[0] === 'help') argv.splice(1, argv.length - 1, pick(rng, ['occlusion', 'bogus', '', 'predict']));
      return { note: `command ${argv[0]}`, mustFail: false };
    default: {
      const name = pick(rng, names);
      const kind = options[name];
      if (kind === 'flag') {
        argv.push(`--${name}`, ...(rng() < 0.5 ? [pick(rng, WORDS)] : []));
        return { note: `--${name}`, mustFail: false };
      }
      const value = rng() < 0.15 ? pick(rng, UNICODE) : valueFor(rng, kind, name);
      const i = valueIndex(argv, name);
      const form = int(rng, 5);
      if (form === 0) argv.push(`--${name}`); // the value missing, at the end
      else if (form === 1) argv.splice(1, 0, `--${name}`); // the value missing, another option follows
      else if (form === 2) argv.push(`--${name}=${value}`);
      else if (i >= 0) argv[i] = value;
      else argv.push(`--${name}`, value);
      const invalid = (kind === 'int' || kind === 'num') && INVALID_NUMBERS.has(value);
      return { note: `--${name} ${['missing value', 'missing value', `=${value}`, value, value][form].slice(0, 30)}`, mustFail: form === 0 || (form >= 2 && (invalid || value === '')) };
    }
  }
}

/** The arguments that are not options or their values: the files the command reads. */
function positionals(argv: string[], options: Record<string, Kind>): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return [...out, ...argv.slice(i + 1)];
    if (a.startsWith('-') && a.length > 1) {
      if (!a.includes('=') && options[a.replace(/^-+/, '')] !== 'flag') i++;
    } else out.push(a);
  }
  return out;
}

export function argumentCase(n: number, rng: Rng, s: Seeds): FuzzCase {
  const command = pick(rng, COMMANDS);
  const argv = [...command.argv];
  const notes: string[] = [];
  let mustFail = false;
  // a later mutation could undo a fatal one (a repeated option wins), so a fatal one is the last
  for (let k = 1 + int(rng, 3); k > 0 && !mustFail; k--) {
    const m = mutateArgs(rng, argv, command.options);
    notes.push(m.note);
    mustFail = m.mustFail;
  }
  const help = argv[0] === 'help' || argv[0] === '--help';
  return {
    category: 'args', id: `args#${n}`, note: notes.join('; '), steps: [argv], mustFail: mustFail && !help, inputs: positionals(argv, command.options),
    files: {
      'digit.png': s.png, 'digit.npy': s.npy, 'ünï cødé.png': s.png, 'notimage.png': 'hello\n',
      'folder/': '', 'folder.npy/': '', 'model/model.json': s.modelJson, 'model/weights.bin': s.weightsBin,
    },
  };
}
