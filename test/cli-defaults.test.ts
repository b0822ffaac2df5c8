import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpyTensor } from '../src/node/inputs.ts';
import { cli, root } from './helpers/cli.ts';

// issue 9: the defaults that make the short command lines work.

const png = join(root, 'examples', 'digit-7.png');
const fresh = () => mkdtempSync(join(tmpdir(), 'convscope-defaults-'));

function ok(args: string[], cwd?: string): string {
  const r = cli(args, cwd);
  assert.is(r.status, 0, `${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

test('occlusion without --size, --stride or --out: a quarter of the input, half that, occlusion.png', async () => {
  const dir = fresh();
  assert.match(ok(['occlusion', png], dir), /7x7 occluder, stride 3; grid 8x8; wrote occlusion\.png$/m);
  assert.equal(readdirSync(dir), ['occlusion.png']);
  assert.match(ok(['occlusion', png, '--size', '10', '--out', join(dir, 'g.npy')]), /10x10 occluder, stride 5; grid 5x5/);
  assert.equal((await readNpyTensor(join(dir, 'g.npy'))).shape, [5, 5]);
});

test('gradcam without --layer or --out: the last (C, H, W) layer before Flatten, gradcam.png', () => {
  const dir = fresh();
  assert.match(ok(['gradcam', png], dir), /^wrote gradcam\.png \(class 7, layer conv4_dropout\)$/m);
  assert.equal(readdirSync(dir), ['gradcam.png']);
});

test('explain with one argument: a model file or folder runs on the shipped digit, anything else is the image', () => {
  const dir = fresh();
  const title = (report: string) => /<title>([^<]*)<\/title>/.exec(readFileSync(join(dir, report, 'index.html'), 'utf8'))?.[1];
  assert.match(ok(['explain', join(root, 'test', 'fixtures', 'models', 'mnist_model.h5'), '--out', join(dir, 'h5')]), /predicted class 7$/m);
  assert.is(title('h5'), 'convscope: mnist_model.h5 on digit-7.png');
  ok(['explain', join(root, 'weights', 'mnist-cnn'), '--out', join(dir, 'folder')]);
  assert.is(title('folder'), 'convscope: mnist-cnn on digit-7.png');
  assert.match(ok(['explain', join(root, 'examples', 'digit-2.png'), '--out', join(dir, 'image')]), /predicted class 2$/m);
  assert.is(title('image'), 'convscope: the shipped MNIST CNN on digit-2.png');
});

test.run();
