import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, with its errors turned into one-line usage errors that list the valid
 * options. A negative number after an option is its value (`--scale -1`, `--mean -0.5,-0.5,-0.5`),
 * which parseArgs alone takes only as `--scale=-1`.
 */
export function parse<T extends Options>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${parseErrorLine(e as Error & { code?: string }, options)}\n${usage}`);
  }
}

const NEGATIVE_NUMBERS = /^-\.?\d[\d.,eE+-]*$/;

function joinNegativeValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return out.concat(args.slice(i));
    const takesValue = arg.startsWith('--') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && i + 1 < args.length && NEGATIVE_NUMBERS.test(args[i + 1])) out.push(`${arg}=${args[++i]}`);
    else out.push(arg);
  }
  return out;
}

function parseErrorLine(e: Error & { code?: string }, options: Options): string {
  const valid = `valid options: ${Object.keys(options).map((o) => `--${o}`).join(', ') || '(none)'}`;
  const option = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `Unknown option '${option}'; ${valid}`;
  if (/argument is ambiguous/.test(e.message)) return `${option} needs a value; for a value that starts with '-', write ${option}=VALUE`;
  if (/argument missing/.test(e.message)) return `${option} needs a value`;
  return `${e.message.split('\n')[0]}; ${valid}`;
}

export function intOption(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, not '${value}'`);
  return n;
}

export function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, not '${value}'`);
  return n;
}

export function numberList(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((v) => (v.trim() === '' ? NaN : Number(v)));
  if (list.some((n) => !Number.isFinite(n))) throw new UsageError(`--${name} must be numbers separated by commas, not '${value}'`);
  return list;
}

/** A value from a fixed list (an alias stands for its choice); otherwise a usage error listing the choices and aliases. */
export function choiceOption<T extends string>(value: string, name: string, choices: readonly T[], aliases: Record<string, T> = {}): T {
  const choice = Object.hasOwn(aliases, value) ? aliases[value] : value;
  if (!(choices as readonly string[]).includes(choice)) throw new UsageError(`--${name} must be one of ${[...choices, ...Object.keys(aliases)].join(', ')}, not '${value}'`);
  return choice as T;
}

/** [MODEL] INPUT positionals: with one, the default model is used. */
export function modelAndInput(positionals: string[], usage: string, defaultModel: string): { model: string; input: string } {
  if (positionals.length === 1) return { model: defaultModel, input: positionals[0] };
  if (positionals.length === 2) return { model: positionals[0], input: positionals[1] };
  throw new UsageError(`expected [MODEL] INPUT but got ${positionals.length} arguments\n${usage}`);
}
