import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { writeModelFolder } from '../src/node/model-folder-files.ts';
import type { Model } from '../src/model/model.ts';
import { readNpyTensor } from '../src/node/inputs.ts';
import { Tensor, formatShape } from '../src/tensor.ts';
import { backwardNet, type BackwardMethod } from '../src/methods/backward-net.ts';
import { occlusion } from '../src/methods/occlusion.ts';
import { gradCam, defaultGradCamLayer } from '../src/methods/grad-cam.ts';

// Every graph fixture (test/fixtures/models/graphs, written by make_graph_models.py) in every
// format it exists in, against the PyTorch references of test/golden/graphs/generate.py:
// predict, every node's output, the backward nets from several nodes, occlusion and Grad-CAM,
// with SEMANTICS.md's tolerance.
const root = join(import.meta.dirname, '..');
const goldenDir = join(root, 'test', 'golden', 'graphs');

interface Fixture {
  /** The Keras 2 .h5 file; other formats sit next to it (see formatsOf). */
  model: string;
  dataFormat: string;
  input: string;
  outputs: string[];
  predict: Record<string, string>;
  /** The default output's class per sample (a map output's: the channel with the largest sum). */
  classes: number[];
  /** The nested models' own nodes. */
  nested: string[];
  nodes: { name: string; shape: number[]; file: string }[];
  backward: { layer: string; channel: number; unit: 'all' | 'max'; method: BackwardMethod; output: string }[];
  occlusion: {
    sample: number; size: number; stride: number; fill: number; layer?: string; channel?: number;
    targetClass: number | null; baseline: number; grid: string; attribution: string;
  }[];
  gradcam: { layer: string; sample: number; targetClass: number; cam: string; weights: string }[];
  defaultGradCam?: string;
  /** The references under Keras 3's definitions, where they differ (hard_sigmoid), for its formats. */
  keras3?: Fixture;
  /** The references under TensorFlow.js's, where they differ (bilinear resizing), for tfjs files. */
  tfjs?: Fixture;
}

const manifest: { fixtures: Record<string, Fixture> } = JSON.parse(readFileSync(join(goldenDir, 'manifest.json'), 'utf8'));

/**
 * The files a fixture exists as: the Keras 2 .h5, and where the converters
 * (to_keras3.py, to_tfjs.py) have written them, its Keras 3 .keras and legacy .h5 and its tfjs
 * layers folder (model.json with its shards). The loop adds the folder format (`convert`'s
 * output) written from the Keras 2 file.
 */
function formatsOf(model: string): { format: string; path: string; open: (path: string) => Promise<Model> }[] {
  const file = join(root, model);
  const dir = dirname(file);
  const name = basename(file, '.h5');
  const candidates = [
    { format: 'keras2-h5', path: file },
    { format: 'keras3-keras', path: join(dir, 'keras3', `${name}.keras`) },
    { format: 'keras3-h5', path: join(dir, 'keras3', `${name}.k3.h5`) },
    { format: 'tfjs', path: join(dir, 'tfjs', name, 'model.json') },
  ];
  return candidates.filter((c) => existsSync(c.path)).map((c) => ({ ...c, open: loadFile }));
}

const reference = (file: string): Promise<Tensor> => readNpyTensor(join(goldenDir, file));

function sample(x: Tensor, i: number): Tensor {
  const per = x.size / x.shape[0];
  return new Tensor(x.shape.slice(1), x.data.slice(i * per, (i + 1) * per));
}

/**
 * max|out - ref| <= 1e-4 max|ref| + 1e-6, or the message saying by how much it is not. `scale`
 * replaces max|ref| when it is larger: for a difference of larger numbers (occlusion's
 * attribution is baseline minus grid), whose float32 rounding scales with them.
 */
function mismatch(out: Tensor, ref: Tensor, scale = 0): string | null {
  if (formatShape(out.shape) !== formatShape(ref.shape)) return `shape ${formatShape(out.shape)}, expected ${formatShape(ref.shape)}`;
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < ref.size; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
    maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - ref.data[i]));
  }
  maxRef = Math.max(maxRef, scale);
  return maxDiff <= 1e-4 * maxRef + 1e-6 ? null : `max|out-ref| ${maxDiff.toPrecision(3)} > tolerance (max|ref| ${maxRef.toPrecision(3)})`;
}

function within(what: string, out: Tensor, ref: Tensor, scale = 0): void {
  const m = mismatch(out, ref, scale);
  assert.ok(m === null, `${what}: ${m}`);
}

const loaded = new Map<string, Promise<Model>>();
function loadFile(path: string): Promise<Model> {
  if (!loaded.has(path)) loaded.set(path, loadModel(path));
  return loaded.get(path)!;
}

/** The model as `convscope convert` writes it (the folder format), loaded back from there. */
const converted = new Map<string, Promise<Model>>();
const folders = mkdtempSync(join(tmpdir(), 'convscope-graph-'));
test.after(() => rmSync(folders, { recursive: true, force: true }));
function loadConverted(path: string): Promise<Model> {
  if (!converted.has(path)) {
    converted.set(path, loadFile(path).then((model) => {
      const dir = mkdtempSync(join(folders, 'model-'));
      writeModelFolder(model.spec, dir);
      return loadModel(dir);
    }));
  }
  return converted.get(path)!;
}

/** Fixtures whose tfjs conversion loses weights (layer names such as 'Conv' and 'Conv/BatchNorm'), as the real converter's does. */
const TFJS_CONVERTER_DROPS = new Set(['mobilenet_v3_tiny']);

for (const [name, keras2] of Object.entries(manifest.fixtures)) {
  const input = () => readNpyTensor(join(goldenDir, keras2.input));
  for (const { format, path, open } of [...formatsOf(keras2.model), { format: 'folder', path: join(root, keras2.model), open: loadConverted }]) {
    const label = `${name} [${format}]`;
    const f = (format.startsWith('keras3') ? keras2.keras3 : format === 'tfjs' ? keras2.tfjs : undefined) ?? keras2;
    if (format === 'tfjs' && TFJS_CONVERTER_DROPS.has(name)) {
      // to_tfjs.py does what tensorflowjs_converter does: it never reaches the weights of 'X/BatchNorm' inside 'X'.
      test(`${label}: refused in one line, saying why`, async () => {
        const err = await open(path).catch((e: unknown) => e);
        assert.instance(err, Error);
        assert.match((err as Error).message, /has no weights in the manifest: tensorflowjs_converter leaves out the weights of a layer whose name continues another layer's/);
      });
      continue;
    }

    test(`${label}: loads, with the nodes and outputs Keras names`, async () => {
      const model = await open(path);
      assert.equal(model.layerNames(), f.nodes.map((n) => n.name));
      assert.equal(model.outputNames, f.outputs);
      for (const n of f.nodes) assert.is(formatShape(model.layer(n.name).outputShape), formatShape(n.shape), `node '${n.name}'`);
      // a nested model's layer answers to its own name where no other node ends in it
      const tail = (name: string) => name.slice(name.lastIndexOf('/') + 1);
      for (const n of f.nodes) {
        const outer = f.nested.find((m) => n.name.startsWith(`${m}/`));
        const short = tail(n.name);
        if (outer && f.nodes.filter((o) => tail(o.name) === short).length === 1) assert.is(model.layer(short).name, n.name, `'${short}'`);
      }
    });

    test(`${label}: predict, every output`, async () => {
      const model = await open(path);
      const x = await input();
      for (const output of f.outputs) {
        const y = (output === f.outputs[0] ? model : model.withOutput(output)).predict(x);
        within(`output '${output}'`, y, await reference(f.predict[output]));
      }
      // a map output's class k is its channel k as a whole (its sum)
      const y = model.predict(x);
      const k = y.shape[1];
      const plane = y.size / y.shape[0] / k;
      const classes = Array.from({ length: y.shape[0] }, (_, b) => {
        const score = (j: number) => y.data.subarray((b * k + j) * plane, (b * k + j + 1) * plane).reduce((a, v) => a + v, 0);
        let best = 0;
        for (let j = 1; j < k; j++) if (score(j) > score(best)) best = j;
        return best;
      });
      assert.equal(classes, f.classes, 'predicted classes');
    });

    test(`${label}: every node's output`, async () => {
      const model = await open(path);
      const forward = model.forward(sample(await input(), 0));
      const wrong: string[] = [];
      for (const n of f.nodes) {
        // a node the default output does not depend on (another output's head) runs on its own
        const record = forward.records.get(n.name) ?? model.forward(sample(await input(), 0), n.name).records.get(n.name);
        if (!record) {
          wrong.push(`'${n.name}': not run`);
          continue;
        }
        const m = mismatch(record.output.reshape(record.output.shape.slice(1)), await reference(n.file));
        if (m) wrong.push(`'${n.name}': ${m}`);
      }
      assert.ok(wrong.length === 0, wrong.join('; '));
    });

    for (const c of f.backward) {
      test(`${label}: ${c.method} from '${c.layer}' channel ${c.channel} unit ${c.unit}`, async () => {
        const model = await open(path);
        const r = backwardNet(model, await input(), { layer: c.layer, channel: c.channel, unit: c.unit, method: c.method });
        within('result', r, await reference(c.output));
      });
    }

    // The default strategy, and 'batched' (every occluded image through the whole graph).
    for (const c of f.occlusion) for (const strategy of ['incremental', 'batched'] as const) {
      const target = c.layer !== undefined ? `'${c.layer}' channel ${c.channel}` : 'predicted class';
      test(`${label}: occlusion size ${c.size} stride ${c.stride} fill ${c.fill} ${target} (${strategy})`, async () => {
        const model = await open(path);
        const x = sample(await input(), c.sample);
        const result = occlusion(model, x, { size: c.size, stride: c.stride, fill: c.fill, layer: c.layer, channel: c.channel, strategy });
        if (c.targetClass !== null) assert.is(result.targetClass, c.targetClass);
        const grid = await reference(c.grid);
        within('grid', result.grid, grid);
        const scale = Math.max(...Array.from(grid.data, Math.abs), Math.abs(c.baseline));
        assert.ok(Math.abs(result.baseline - c.baseline) <= 1e-4 * scale + 1e-6, `baseline ${result.baseline} vs ${c.baseline}`);
        within('attribution', result.attribution, await reference(c.attribution), scale);
      });
    }

    if (f.defaultGradCam !== undefined) {
      test(`${label}: the default Grad-CAM node is '${f.defaultGradCam}'`, async () => {
        assert.is(defaultGradCamLayer(await open(path)), f.defaultGradCam);
      });
    }

    for (const c of f.gradcam) {
      test(`${label}: gradcam '${c.layer}' sample ${c.sample}`, async () => {
        const model = await open(path);
        const result = gradCam(model, sample(await input(), c.sample), { layer: c.layer });
        assert.is(result.targetClass, c.targetClass);
        within('weights', result.weights, await reference(c.weights));
        within('cam', result.cam, await reference(c.cam));
      });
    }
  }
}

test.run();
