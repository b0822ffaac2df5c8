import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { readNpyTensor } from '../src/node/inputs.ts';
import { loadModel } from '../src/node/load-model.ts';
import { toNpy } from '../src/io/npy.ts';
import { Tensor } from '../src/tensor.ts';
import { attribute, ATTRIBUTION_METHODS } from '../src/methods/attribute.ts';
import { cli, failureLine, root } from './helpers/cli.ts';

// convscope attribute: every method from the command line, a batch explained as a batch, and
// one clear line for each wrong argument.
const digit = join(root, 'examples', 'digit-7.png');
const dir = mkdtempSync(join(tmpdir(), 'convscope-attribute-'));
const out = (name: string) => join(dir, name);
const model = await loadModel(join(root, 'test', 'fixtures', 'models', 'mnist_model.h5'));
const digits = await readNpyTensor(join(root, 'test', 'golden', 'models', 'mnist_model', 'input.npy'));
const three = new Tensor([3, 1, 28, 28], digits.data.slice(0, 3 * 784));
const batchFile = out('three.npy');
writeFileSync(batchFile, toNpy(three.shape, three.data));

function ok(args: string[]): string {
  const r = cli(args);
  assert.is(r.status, 0, `${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

function failsWith(args: string[], pattern: RegExp): void {
  const r = cli(['attribute', ...args]);
  assert.ok(r.status !== 0, `${args.join(' ')} should fail`);
  assert.match(failureLine(r), pattern);
}

test('a batch .npy with a class per sample: the numbers are the library\'s, and the delta is printed', async () => {
  const stdout = ok(['attribute', batchFile, '--method', 'ig', '--class', '7,3,1', '--steps', '16', '--out', out('ig.npy')]);
  const written = await readNpyTensor(out('ig.npy'));
  const direct = attribute(model, three, { method: 'integrated-gradients', target: [7, 3, 1], steps: 16 });
  assert.equal(written.shape, [3, 1, 28, 28]);
  assert.equal(Array.from(written.data), Array.from(direct.attribution.data));
  assert.match(stdout, /integrated-gradients for class 7,3,1; completeness delta [-\d.e]+,[-\d.e]+,[-\d.e]+; wrote/);
});

test('every method writes a picture per sample (input, map, overlay, legend)', () => {
  for (const method of ATTRIBUTION_METHODS) {
    const file = out(`${method}.png`);
    ok(['attribute', digit, '--method', method, '--out', file]);
    const picture = PNG.sync.read(readFileSync(file));
    assert.ok(picture.width >= 3 * 224 && picture.height > 224, `${method}: ${picture.width}x${picture.height}`);
  }
  ok(['attribute', batchFile, '--method', 'gradcam', '--out', out('three.png')]);
  assert.ok(PNG.sync.read(readFileSync(out('three.png'))).height > 3 * 224, 'one row per sample');
});

test('method options reach the library: noise tunnel, baselines, masks, CAM upsampling, node targets', async () => {
  const cases: [string[], (file: string) => Promise<void>][] = [
    [['--method', 'vargrad', '--of', 'input-x-gradient', '--samples', '3', '--stdevs', '20', '--seed', '4'], async (f) => {
      const want = attribute(model, three, { method: 'vargrad', of: 'input-x-gradient', samples: 3, stdevs: 20, seed: 4 }).attribution;
      assert.equal(Array.from((await readNpyTensor(f)).data), Array.from(want.data));
    }],
    [['--method', 'ig', '--baseline', 'blur:2', '--integration', 'riemann_trapezoid', '--steps', '8'], async (f) => {
      const want = attribute(model, three, { method: 'ig', baseline: { blur: 2 }, integration: 'riemann_trapezoid', steps: 8 }).attribution;
      assert.equal(Array.from((await readNpyTensor(f)).data), Array.from(want.data));
    }],
    [['--method', 'scorecam', '--layer', 'conv2', '--upsample'], async (f) => assert.equal((await readNpyTensor(f)).shape, [3, 28, 28])],
    [['--method', 'gradcam++', '--layer', 'conv2'], async (f) => assert.equal((await readNpyTensor(f)).shape, [3, 8, 8])],
    [['--method', 'saliency', '--node', 'conv2', '--channel', '1,2,3', '--signed'], async (f) => {
      const want = attribute(model, three, { method: 'saliency', target: { layer: 'conv2', channel: [1, 2, 3] }, abs: false }).attribution;
      assert.equal(Array.from((await readNpyTensor(f)).data), Array.from(want.data));
    }],
    [['--method', 'occlusion', '--size', '7', '--stride', '7', '--baseline', '255'], async (f) => assert.equal((await readNpyTensor(f)).shape, [3, 28, 28])],
  ];
  for (const [args, check] of cases) {
    const file = out(`opts-${args[1]}.npy`);
    ok(['attribute', batchFile, ...args, '--out', file]);
    await check(file);
  }
  const labels = new Float32Array(784).map((_, i) => (i % 28 < 14 ? 3 : 9));
  writeFileSync(out('labels.npy'), toNpy([28, 28], labels));
  ok(['attribute', batchFile, '--method', 'ablation', '--mask', out('labels.npy'), '--out', out('ablation.npy')]);
  const a = await readNpyTensor(out('ablation.npy'));
  assert.ok(new Set(Array.from(a.data.subarray(0, 784))).size <= 2, 'one value per label');
});

test('wrong arguments give one line naming the choices', () => {
  failsWith([digit, '--method', 'lime'], /--method must be one of saliency, input-x-gradient, .*occlusion, ig, not 'lime'/);
  failsWith([digit, '--method', 'gradcam', '--steps', '8'], /--steps does not apply to gradcam; its options: --layer, --upsample/);
  failsWith([digit, '--method', 'saliency', '--baseline', '0'], /--baseline does not apply to saliency; its options: --signed/);
  failsWith([digit, '--method', 'deconvnet', '--seed', '1'], /--seed does not apply to deconvnet; it takes only a target/);
  failsWith([batchFile, '--class', '1,2'], /give one class for all samples or one per sample: 2 for a batch of 3/);
  failsWith([digit, '--class', '10'], /class 10 is out of range; the model has 10 classes \(0\.\.9\)/);
  failsWith([digit, '--node', 'conv2'], /--node and --channel go together/);
  failsWith([digit, '--node', 'conv9', '--channel', '1'], /layer 'conv9'/);
  failsWith([digit, '--method', 'ig', '--steps', '1'], /--steps must be an integer >= 2/);
  failsWith([digit, '--method', 'ig', '--integration', 'simpson'], /--integration must be one of gausslegendre, riemann_left/);
  failsWith([digit, '--method', 'ig', '--baseline', 'blur:-1'], /blur:SIGMA needs a sigma > 0/);
  failsWith([digit, '--method', 'ig', '--baseline', '1,2'], /a per-channel baseline needs 1 finite numbers/);
  failsWith([digit, '--method', 'gradcam', '--layer', 'flatten'], /layer 'flatten' has output \[\d+\]; choose a layer with a \(C, H, W\) output/);
  failsWith([digit, '--method', 'smoothgrad', '--of', 'gradcam'], /--of must be one of saliency, input-x-gradient, integrated-gradients, guided-backprop, deconvnet/);
  failsWith([digit, '--sign', 'both'], /--sign must be one of all, positive, negative, absolute_value/);
  failsWith([digit, '--method', 'ablation', '--mask', batchFile], /the feature mask has shape \[3, 1, 28, 28\]; give \(28, 28\) or \(1, 28, 28\) labels/);
  failsWith([digit, '--out', out('x.txt')], /--out .*must end in \.npy or \.png/);
  assert.not.ok(existsSync(out('x.txt')));
});

test.run();
