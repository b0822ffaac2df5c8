import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root } from './cli.ts';
import { ConvscopeError } from '../../src/errors.ts';
import { commandLine, internalTextProblems, outcomeProblems, type Outcome } from './cli-contract.ts';
import { runCliProcess } from './cli-process.ts';

/** A fresh folder holding the given files (relative path -> content). */
export function folderWith(files: Record<string, Uint8Array | string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'convscope-regression-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export interface Run extends Outcome {
  args: string[];
}

/** The built CLI in `dir`, killed after 20 s or past 1 GiB. */
export async function cliIn(dir: string, args: string[]): Promise<Run> {
  return { args, ...(await runCliProcess(args, { cwd: dir, timeoutMs: 20_000 })) };
}

function show(r: Run): string {
  return `${commandLine(r.args)}\nexit ${r.status}${r.timedOut ? ' (timed out)' : ''}\nstderr: ${r.stderr.slice(0, 600)}\nstdout: ${r.stdout.slice(0, 300)}`;
}

/**
 * The command failed as the contract says (non-zero exit, one line, no internal text, in time,
 * under 1 GiB), and its line names each of `names` (the file, the option, the problem).
 */
export function assertFails(r: Run, names: (string | RegExp)[]): void {
  const problems = outcomeProblems(r, false);
  assert.ok(problems.length === 0, `${problems.join('; ')}\n${show(r)}`);
  const line = r.stderr.split('\n')[0];
  for (const name of names) {
    const found = typeof name === 'string' ? line.includes(name) : name.test(line);
    assert.ok(found, `the message does not name ${String(name)}\n${show(r)}`);
  }
}

/** The command worked: exit 0, nothing non-finite printed, no internal text. */
export function assertWorks(r: Run): void {
  const problems = outcomeProblems(r, true);
  assert.ok(problems.length === 0, `${problems.join('; ')}\n${show(r)}`);
}

/**
 * A library call that must throw (or reject) a ConvscopeError with one line of message, free
 * of internal text, naming each of `names`. Also catches what the call printed on stderr.
 */
export async function assertThrowsConvscopeError(call: () => unknown, names: (string | RegExp)[] = []): Promise<void> {
  const write = process.stderr.write;
  let printed = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  const error = console.error;
  console.error = (...parts: unknown[]) => void (printed += parts.join(' '));
  let thrown: unknown;
  try {
    await call();
  } catch (e) {
    thrown = e;
  } finally {
    process.stderr.write = write;
    console.error = error;
  }
  assert.ok(thrown !== undefined, 'the call returned instead of throwing');
  const e = thrown as Error;
  // a subclass (KerasH5Error) is a ConvscopeError too: same code, its own name
  assert.ok(e instanceof ConvscopeError || e?.name === 'ConvscopeError', `threw ${e?.name}, not a ConvscopeError: ${e?.message}`);
  assert.not.match(e.message, /\n/, `a message of more than one line: ${e.message}`);
  const problems = [...internalTextProblems(e.message, 'the message', true), ...internalTextProblems(printed, 'stderr', true)];
  assert.ok(problems.length === 0, `${problems.join('; ')}: ${e.message}\nprinted: ${printed.slice(0, 300)}`);
  for (const name of names) {
    const found = typeof name === 'string' ? e.message.includes(name) : name.test(e.message);
    assert.ok(found, `the message does not name ${String(name)}: ${e.message}`);
  }
}

/** The shipped model as files that a test can damage: model.json parsed, weights.bin copied. */
export function shippedModel(): { json: Record<string, any>; bin: Uint8Array } {
  const dir = join(root, 'weights', 'mnist-cnn');
  return { json: JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')), bin: new Uint8Array(readFileSync(join(dir, 'weights.bin'))) };
}

export function modelFiles(json: unknown, bin: Uint8Array, folder = 'model'): Record<string, Uint8Array | string> {
  return { [`${folder}/model.json`]: JSON.stringify(json), [`${folder}/weights.bin`]: bin };
}
