import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into one-line usage errors that list the valid options. */
export function parse<T extends Options>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const valid = Object.keys(options).map((o) => `--${o}`).join(', ');
    throw new UsageError(`${(e as Error).message.split('\n')[0]}; valid options: ${valid || '(none)'}\n${usage}`);
  }
}

export function intOption(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, not '${value}'`);
  return n;
}

export function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, not '${value}'`);
  return n;
}

export function numberList(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map(Number);
  if (list.some((n) => !Number.isFinite(n))) throw new UsageError(`--${name} must be numbers separated by commas, not '${value}'`);
  return list;
}

/** Checks that an output path can be written (its folder exists) and has one of the allowed endings. */
export function outputPath(path: string, allowed: string[]): string {
  const ending = allowed.find((e) => path.toLowerCase().endsWith(e));
  if (!ending) throw new UsageError(`--out ${path}: the output must end in ${allowed.join(' or ')}`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--out ${path}: the folder ${dir} does not exist`);
  return path;
}

/** [MODEL] INPUT positionals: with one, the default model is used. */
export function modelAndInput(positionals: string[], usage: string, defaultModel: string): { model: string; input: string } {
  if (positionals.length === 1) return { model: defaultModel, input: positionals[0] };
  if (positionals.length === 2) return { model: positionals[0], input: positionals[1] };
  throw new UsageError(`expected [MODEL] INPUT but got ${positionals.length} arguments\n${usage}`);
}
