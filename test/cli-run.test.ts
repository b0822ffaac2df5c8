import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run.ts';
import { UsageError } from '../src/cli/errors.ts';
import { progressReporter } from '../src/cli/progress.ts';
import { ConvscopeError } from '../src/errors.ts';
import { memoryLimit, setMemoryLimit } from '../src/limits.ts';
import type { Command } from '../src/cli/command.ts';

/** runCli in this process, with what it prints captured. */
async function run(argv: string[], commands?: Command[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await runCli(argv, commands);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const throwing = (name: string, error: unknown): Command => ({ name, summary: '', usage: `Usage: convscope ${name}`, run: () => { throw error; } });

test('an internal error is one line, exit 70, with no stack unless CONVSCOPE_DEBUG is set', async () => {
  delete process.env.CONVSCOPE_DEBUG;
  const r = await run(['boom'], [throwing('boom', new TypeError("Cannot read properties of undefined (reading 'map')"))]);
  assert.is(r.code, 70);
  assert.is(r.stderr, "convscope boom: internal error: Cannot read properties of undefined (reading 'map') (please report; CONVSCOPE_DEBUG=1 shows the stack)");
  process.env.CONVSCOPE_DEBUG = '1';
  try {
    assert.match((await run(['boom'], [throwing('boom', new RangeError('bad'))])).stderr, /\n\s+at /);
  } finally {
    delete process.env.CONVSCOPE_DEBUG;
  }
  const thrown = await run(['boom'], [throwing('boom', 'a string')]);
  assert.is(thrown.code, 70);
});

test('a ConvscopeError exits 1, a usage error 2, each on one line', async () => {
  const io = await run(['load'], [throwing('load', new ConvscopeError('E_FORMAT', 'm.h5: not an HDF5 file'))]);
  assert.equal([io.code, io.stderr], [1, 'convscope load: m.h5: not an HDF5 file']);
  const usage = await run(['load'], [throwing('load', new UsageError('--k must be an integer >= 1, not \'\''))]);
  assert.equal([usage.code, usage.stderr], [2, "convscope load: --k must be an integer >= 1, not ''"]);
  assert.instance(new UsageError('x'), ConvscopeError);
  assert.is(new UsageError('x').code, 'E_USAGE');
});

test('a file system error is one line naming the path', async () => {
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'digit.png'"), { code: 'ENOENT', path: 'digit.png', syscall: 'open' });
  const r = await run(['predict'], [throwing('predict', enoent)]);
  assert.equal([r.code, r.stderr], [1, 'convscope predict: digit.png: no such file']);
});

test('a message that starts with the command name gets one prefix, unless the name is an argument', async () => {
  const error = new ConvscopeError('E_ARGUMENT', "gradcam: layer 'dense1' has output [128]");
  assert.is((await run(['gradcam'], [throwing('gradcam', error)])).stderr, "convscope gradcam: layer 'dense1' has output [128]");
  const file = new ConvscopeError('E_NOT_FOUND', 'gradcam: no such file');
  assert.is((await run(['gradcam', 'gradcam'], [throwing('gradcam', file)])).stderr, 'convscope gradcam: gradcam: no such file');
});

test('--memory-limit sets the ceiling before the command runs, before or after its name', async () => {
  const seen: number[] = [];
  const probe: Command = { name: 'probe', summary: '', usage: '', run: () => void seen.push(memoryLimit()) };
  const before = memoryLimit();
  try {
    assert.is((await run(['--memory-limit', '3K', 'probe'], [probe])).code, 0);
    assert.is((await run(['probe', '--memory-limit=2G'], [probe])).code, 0);
    assert.equal(seen, [3 * 1024, 2 * 2 ** 30]);
    const bad = await run(['probe', '--memory-limit', 'lots'], [probe]);
    assert.equal([bad.code, bad.stderr], [2, "convscope probe: --memory-limit: 'lots' is not a size; give bytes, or a number with K, M or G (e.g. 2G)"]);
    assert.is((await run(['probe', '--memory-limit'], [probe])).code, 2);
    assert.is(seen.length, 2);
  } finally {
    setMemoryLimit(before);
  }
});

test('help COMMAND prints that command\'s usage; help with an unknown one lists the commands', async () => {
  const help = await run(['help', 'occlusion']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /^Usage: convscope occlusion /);
  const bogus = await run(['help', 'bogus']);
  assert.is(bogus.code, 2);
  assert.match(bogus.stderr, /^convscope: unknown command 'bogus'; valid commands: info, convert, predict/);
  assert.match((await run(['help'])).stdout, /--memory-limit SIZE/);
});

test('progress is drawn on a terminal and silent otherwise', () => {
  const written: string[] = [];
  const tty = progressReporter('occlusion', { isTTY: true, write: (t: string) => written.push(t) });
  tty(1, 4);
  tty(1, 4);
  tty(4, 4);
  tty.finish();
  assert.equal(written, ['\rocclusion 25% (1/4)', '\rocclusion 100% (4/4)', '\n']);
  const silent: string[] = [];
  const pipe = progressReporter('occlusion', { isTTY: false, write: (t: string) => silent.push(t) });
  pipe(1, 4);
  pipe.finish();
  assert.equal(silent, []);
});

test('maximize shows its steps on a terminal', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'convscope-run-')), 'm.npy');
  const written: string[] = [];
  const { write } = process.stderr;
  const wasTTY = process.stderr.isTTY;
  Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
  process.stderr.write = ((t: string) => written.push(String(t)) > 0) as typeof process.stderr.write;
  try {
    const r = await run(['maximize', '--layer', 'conv1', '--channel', '2', '--iterations', '4', '--out', out]);
    assert.is(r.code, 0, r.stderr);
  } finally {
    process.stderr.write = write;
    Object.defineProperty(process.stderr, 'isTTY', { value: wasTTY, configurable: true });
  }
  assert.equal(written, ['\rmaximize 25% (1/4)', '\rmaximize 50% (2/4)', '\rmaximize 75% (3/4)', '\rmaximize 100% (4/4)', '\n']);
  assert.ok(existsSync(out));
});

test.run();
