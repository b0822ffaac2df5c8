import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, failureLine, root } from './helpers/cli.ts';

// issue 9: every output of a command is written, or none; paths are checked before any work.

const png = join(root, 'examples', 'digit-7.png');
const h5 = join(root, 'test', 'fixtures', 'models', 'mnist_model.h5');
const fresh = () => mkdtempSync(join(tmpdir(), 'convscope-out-'));

/** Runs the CLI and checks the exit code, one failure line matching `pattern`, and that `dir` did not change. */
function failsLeavingNothing(args: string[], dir: string, pattern: RegExp, code: number): string {
  const before = readdirSync(dir).sort();
  const r = cli(args);
  assert.is(r.status, code, `${args.join(' ')}: ${r.status}\n${r.stderr}`);
  const line = failureLine(r);
  assert.match(line, pattern);
  assert.equal(readdirSync(dir).sort(), before, 'files left behind');
  return line;
}

test('occlusion with an overlay that cannot be written writes neither grid nor attribution', () => {
  const dir = fresh();
  mkdirSync(join(dir, 'BAD.png'));
  failsLeavingNothing(
    ['occlusion', png, '--out', join(dir, 'g.npy'), '--attribution', join(dir, 'a.npy'), '--overlay', join(dir, 'BAD.png')],
    dir, /^convscope occlusion: --overlay .*BAD\.png is a folder; give a file name$/, 2,
  );
});

test('a run that fails after the checks leaves no file (not even a temporary)', () => {
  const dir = fresh();
  failsLeavingNothing(
    ['occlusion', png, '--size', '40', '--out', join(dir, 'g.npy'), '--attribution', join(dir, 'a.png'), '--overlay', join(dir, 'o.png')],
    dir, /the 40x40 occluder is larger than the 28x28 input/, 1,
  );
});

test('an output that is the input is refused and the input kept', () => {
  const dir = fresh();
  const input = join(dir, 'digit.npy');
  copyFileSync(join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy'), input);
  const bytes = readFileSync(input);
  failsLeavingNothing(['predict', input, '--out', `${dir}/./digit.npy`], dir, /--out .*digit\.npy is the input .*digit\.npy; writing it would overwrite the input/, 2);
  symlinkSync(input, join(dir, 'link.npy'));
  failsLeavingNothing(['predict', join(dir, 'link.npy'), '--out', input], dir, /--out .*digit\.npy is the input .*link\.npy/, 2);
  assert.equal(readFileSync(input), bytes);
});

test('two outputs with the same name are refused', () => {
  const dir = fresh();
  failsLeavingNothing(
    ['occlusion', png, '--out', join(dir, 'a.npy'), '--attribution', `${dir}/./a.npy`],
    dir, /--attribution .*a\.npy is the same file as --out; give each output its own name/, 2,
  );
});

test('a folder the file system refuses is named as the user gave it, before any work', () => {
  const line = failureLine(cli(['predict', png, '--out', '/proc/p.npy']));
  assert.is(line, 'convscope predict: --out /proc/p.npy: cannot write it: the folder does not accept new files');
});

test('convert into /proc/x or under a missing folder is refused at once, nothing created', () => {
  const started = Date.now();
  const r = cli(['convert', h5, '/proc/x']);
  assert.is(r.status, 2, r.stderr);
  assert.match(failureLine(r), /^convscope convert: DIR \/proc\/x: cannot write it/);
  assert.ok(Date.now() - started < 30_000);
  const dir = fresh();
  failsLeavingNothing(['convert', h5, join(dir, 'missing', 'model')], dir, /the folder .*missing does not exist/, 2);
});

test('convert writes the folder whole, replaces an earlier one, and refuses a folder of other files', () => {
  const dir = fresh();
  const target = join(dir, 'model');
  for (let i = 0; i < 2; i++) {
    const r = cli(['convert', h5, target]);
    assert.is(r.status, 0, r.stderr);
    assert.equal(readdirSync(target).sort(), ['model.json', 'weights.bin']);
    assert.equal(readdirSync(dir), ['model']);
  }
  const photos = join(dir, 'photos');
  mkdirSync(photos);
  writeFileSync(join(photos, 'cat.jpg'), 'x');
  failsLeavingNothing(['convert', h5, photos], dir, /DIR .*photos is a folder that holds other files \(it has no model\.json\); give a new or empty folder/, 2);
  assert.equal(readdirSync(photos), ['cat.jpg']);
});

test('explain replaces an earlier report whole, and refuses a folder of other files or one that holds its input', () => {
  const dir = fresh();
  const report = join(dir, 'report');
  mkdirSync(report);
  writeFileSync(join(report, 'index.html'), 'old report');
  writeFileSync(join(report, 'stale.png'), 'from an earlier model');
  const r = cli(['explain', '--out', report]);
  assert.is(r.status, 0, r.stderr);
  assert.not.ok(existsSync(join(report, 'stale.png')));
  assert.match(readFileSync(join(report, 'index.html'), 'utf8'), /<title>convscope: /);
  assert.equal(readdirSync(dir), ['report']);

  const other = join(dir, 'photos');
  mkdirSync(other);
  writeFileSync(join(other, 'cat.jpg'), 'x');
  failsLeavingNothing(['explain', '--out', other], dir, /--out .*photos is a folder that holds other files \(it has no index\.html\)/, 2);
  copyFileSync(png, join(report, 'digit.png'));
  failsLeavingNothing(['explain', join(report, 'digit.png'), '--out', report], dir, /--out .*report holds the input .*digit\.png, which replacing the folder would delete/, 2);
});

test.run();
