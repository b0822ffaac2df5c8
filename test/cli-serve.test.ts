// `convscope serve` and `convscope app` as a user runs them: the files they publish beside the
// app, their one-line errors, and the explain report's line that opens the same input in the app.
// That the pages they serve work is tested in Chromium (test/browser/app.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, failureLine, root } from './helpers/cli.ts';
import { killServes, startServe } from './helpers/serve-process.ts';

const scratch = mkdtempSync(join(tmpdir(), 'convscope-serve-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

const TFJS = join(root, 'test', 'fixtures', 'models', 'graphs', 'tfjs', 'mobilenet_v2_tiny');
const DIGIT = join(root, 'examples', 'digit-2.png');

/** serve from the sources on a free port: its printed address in use, then Ctrl-C; the exit code. */
async function withServe(args: string[], use: (url: string) => Promise<void>): Promise<number | null> {
  const served = await startServe(['--import', import.meta.resolve('tsx'), join(root, 'src', 'cli', 'main.ts')], args);
  try {
    await use(served.url);
    return await served.stop();
  } finally {
    killServes();
  }
}

test('serve publishes a TensorFlow.js model with its shards and an image, with the isolation headers, and stops on Ctrl-C', async () => {
  const code = await withServe([TFJS, DIGIT, '--mean', '-1'], async (url) => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?model=files\/model\/model\.json&image=files\/image\/digit-2\.png&mean=-1$/);
    const page = await fetch(url);
    assert.is(page.status, 200);
    assert.is(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await page.text(), /<script/);
    const base = new URL(url);
    for (const [path, file] of [['files/model/model.json', join(TFJS, 'model.json')], ['files/model/group1-shard1of1.bin', join(TFJS, 'group1-shard1of1.bin')], ['files/image/digit-2.png', DIGIT]]) {
      const r = await fetch(new URL(path, base));
      assert.is(r.status, 200, path);
      assert.equal(new Uint8Array(await r.arrayBuffer()), new Uint8Array(readFileSync(file)), path);
    }
    assert.is((await fetch(new URL('files/model/other.bin', base))).status, 404, 'only the files the model names are served');
  });
  assert.is(code, 0);
});

test('serve refuses a bad model, a port in use and bad options in one line, before serving', async () => {
  const broken = join(scratch, 'broken.h5');
  writeFileSync(broken, new Uint8Array([1, 2, 3]));
  const bad = cli(['serve', broken]);
  assert.is(bad.status, 1);
  assert.match(failureLine(bad), /^convscope serve: .*broken\.h5: not an HDF5 file/);
  assert.match(failureLine(cli(['serve', '--port', '70000'])), /--port must be an integer from 0 to 65535, not '70000'/);
  assert.match(failureLine(cli(['serve', '--host', ' '])), /--host must name an address/);
  assert.match(failureLine(cli(['serve', '--scale', 'x'])), /--scale must be a number, not 'x'/);
  const taken = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => taken.once('listening', r));
  try {
    const port = (taken.address() as { port: number }).port;
    const busy = cli(['serve', '--port', String(port)]);
    assert.is(busy.status, 1);
    assert.match(failureLine(busy), new RegExp(`cannot serve on 127\\.0\\.0\\.1:${port}: the port is in use; choose another with --port`));
  } finally {
    taken.close();
  }
});

test('app writes the site with the model and image under files/, replaces an earlier app, and refuses other folders', () => {
  const site = join(scratch, 'site');
  const r = cli(['app', join(root, 'weights', 'mnist-cnn'), DIGIT, '--out', site]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /open index\.html\?model=files\/model\/model\.json&image=files\/image\/digit-2\.png$/m);
  for (const file of ['index.html', 'worker.js', 'files/model/model.json', 'files/model/weights.bin', 'files/image/digit-2.png']) assert.ok(existsSync(join(site, file)), file);
  assert.is(cli(['app', '--out', site]).status, 0, 'an earlier app is replaced');
  assert.not.ok(existsSync(join(site, 'files')), 'whole: nothing of the earlier app is left');
  const other = join(scratch, 'photos');
  mkdirSync(other);
  writeFileSync(join(other, 'cat.jpg'), 'x');
  assert.match(failureLine(cli(['app', '--out', other])), /--out .*photos is a folder that holds other files \(it has no worker\.js\)/);
  const missing = cli(['app', join(scratch, 'nothere.h5'), '--out', join(scratch, 'none')]);
  assert.match(failureLine(missing), /nothere\.h5: no such file or folder/);
  assert.not.ok(existsSync(join(scratch, 'none')), 'a failed run writes nothing');
});

test('the explain report gives the serve line and address that open the same model, image and preprocessing', () => {
  const report = join(scratch, 'report');
  const model = join(root, 'test', 'fixtures', 'models', 'mnist_model.h5');
  assert.is(cli(['explain', model, DIGIT, '--scale', '1', '--out', report]).status, 0);
  const html = readFileSync(join(report, 'index.html'), 'utf8');
  assert.ok(html.includes(`<code>npx convscope serve ${model} ${DIGIT} --scale 1</code>`), 'the command');
  assert.ok(html.includes('<a href="http://127.0.0.1:8080/?model=files/model/mnist_model.h5&amp;image=files/image/digit-2.png&amp;scale=1">'), 'the address serve prints');
});

test.run();
