import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvscopeError } from '../src/errors.ts';
import { OutputSet, writeOutputs, checkOutputTarget } from '../src/node/output-set.ts';

const fresh = () => mkdtempSync(join(tmpdir(), 'convscope-outputs-'));

function throws(fn: () => void, pattern: RegExp): ConvscopeError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ConvscopeError);
    assert.match((e as Error).message, pattern);
    return e as ConvscopeError;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
  throw new Error('unreachable');
}

test('staged files appear under their names only on commit', () => {
  const dir = fresh();
  const set = new OutputSet();
  set.file(join(dir, 'a.npy'), 'A');
  set.file(join(dir, 'b.png'), 'B');
  assert.not.ok(existsSync(join(dir, 'a.npy')));
  assert.not.ok(existsSync(join(dir, 'b.png')));
  set.commit();
  assert.equal(readdirSync(dir).sort(), ['a.npy', 'b.png']);
  assert.is(readFileSync(join(dir, 'b.png'), 'utf8'), 'B');
});

test('an error after some outputs are staged leaves no file behind', () => {
  const dir = fresh();
  throws(() => writeOutputs((set) => {
    set.file(join(dir, 'g.npy'), 'G');
    set.file(join(dir, 'a.npy'), 'A');
    set.file(join(dir, 'missing', 'o.png'), 'O');
  }), /missing\/o\.png: cannot write it/);
  assert.equal(readdirSync(dir), []);
});

test('a rename that fails puts back the files earlier renames replaced', () => {
  const dir = fresh();
  writeFileSync(join(dir, 'a.npy'), 'old');
  const set = new OutputSet();
  set.file(join(dir, 'a.npy'), 'new');
  set.file(join(dir, 'b.npy'), 'B');
  // a folder appears where b.npy goes after the checks: its rename fails
  mkdirSync(join(dir, 'b.npy'));
  writeFileSync(join(dir, 'b.npy', 'x'), 'x');
  const e = throws(() => set.commit(), /b\.npy: cannot write it/);
  assert.is(e.code, 'E_IO');
  assert.is(readFileSync(join(dir, 'a.npy'), 'utf8'), 'old');
  assert.equal(readdirSync(dir).sort(), ['a.npy', 'b.npy']);
});

test('a write error names the caller\'s path, never the temporary', () => {
  const e = throws(() => writeOutputs((set) => set.file('/proc/convscope-x.npy', 'x')), /^\/proc\/convscope-x\.npy: cannot write it/);
  assert.not.match(e.message, /\.tmp/);
});

test('a folder output replaces an earlier one whole', () => {
  const dir = fresh();
  const report = join(dir, 'report');
  mkdirSync(report);
  writeFileSync(join(report, 'index.html'), 'old');
  writeFileSync(join(report, 'stale.png'), 'old');
  checkOutputTarget(report, 'index.html');
  writeOutputs((set) => set.folder(report, (staging) => writeFileSync(join(staging, 'index.html'), 'new')));
  assert.equal(readdirSync(report), ['index.html']);
  assert.is(readFileSync(join(report, 'index.html'), 'utf8'), 'new');
  assert.equal(readdirSync(dir), ['report']);
});

test('checkOutputTarget refuses a missing folder (and creates none), a folder for a file, a folder of other files', () => {
  const dir = fresh();
  throws(() => checkOutputTarget(join(dir, 'missing', 'deeper', 'x.npy')), /the folder .*missing\/deeper does not exist/);
  assert.not.ok(existsSync(join(dir, 'missing')));
  mkdirSync(join(dir, 'taken.png'));
  throws(() => checkOutputTarget(join(dir, 'taken.png')), /taken\.png is a folder; give a file name/);
  mkdirSync(join(dir, 'photos'));
  writeFileSync(join(dir, 'photos', 'cat.jpg'), 'x');
  throws(() => checkOutputTarget(join(dir, 'photos'), 'index.html'), /photos is a folder that holds other files \(it has no index\.html\)/);
  throws(() => checkOutputTarget('/proc/convscope-x'), /\/proc\/convscope-x: cannot write it/);
  assert.equal(readdirSync(dir).sort(), ['photos', 'taken.png']);
});

test.run();
