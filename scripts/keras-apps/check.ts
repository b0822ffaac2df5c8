// Loads the keras.applications models make.py wrote (real Keras 3 files: .keras and legacy .h5),
// runs them with convscope and compares every node with Keras's own per-layer outputs.
// Not part of npm test (the files are big and need Keras to make):
//
//   node --import tsx scripts/keras-apps/check.ts [CACHE] [MODEL ...] [--formats keras,h5] [--no-methods]
//
// CACHE defaults to bench/.cache/keras-apps. Prints one row per model and format, then the
// details of every failure.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { loadModel, loadShippedModel, readImageTensor, parseNpy, Tensor, backwardNet, gradCam, occlusion, type Model } from '../../src/node.ts';

interface Row {
  model: string;
  format: string;
  nodes: number | string;
  params: number | string;
  loadMs: number | string;
  forwardMs: number | string;
  maxRel: string;
  localRel: string;
  compared: string;
  classes: string;
  methods: string;
  notes: string[];
}

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const noMethods = args.includes('--no-methods');
if (noMethods) args.splice(args.indexOf('--no-methods'), 1);
const formats = (flag('--formats') ?? 'keras,h5').split(',');
const cache = args[0] ?? 'bench/.cache/keras-apps';
const names = args.length > 1 ? args.slice(1) : readdirSync(cache).filter((f) => f.endsWith('.npz') && !f.startsWith('mnist')).map((f) => f.slice(0, -4)).sort();

/** The arrays of a .npz (np.savez: a zip of .npy files), by key. */
function readNpz(path: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [file, bytes] of Object.entries(unzipSync(readFileSync(path)))) {
    const { shape, data } = parseNpy(bytes, file);
    out.set(file.replace(/\.npy$/, ''), new Tensor(shape, data as Float32Array));
  }
  return out;
}

/** A channels_last (H, W, C) map as channels-first (C, H, W); (N, H, W, C) as (N, C, H, W); vectors as they are. */
function channelsFirst(t: Tensor): Tensor {
  if (t.rank !== 3 && t.rank !== 4) return t;
  const lead = t.rank === 4 ? t.shape[0] : 1;
  const [h, w, c] = t.shape.slice(-3);
  const out = new Float32Array(t.size);
  for (let n = 0; n < lead; n++) {
    const base = n * h * w * c;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[base + (k * h + y) * w + x] = t.data[base + (y * w + x) * c + k];
  }
  return new Tensor(t.rank === 4 ? [lead, c, h, w] : [c, h, w], out);
}

const sizeOfShape = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN wins
  }
  return m;
}

function argmax(a: Float32Array, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[from + i] > a[from + best]) best = i;
  return best;
}

const firstLine = (e: unknown): string => String(e instanceof Error ? e.message : e).split('\n')[0].slice(0, 160);
const finite = (t: Tensor): boolean => t.data.every(Number.isFinite);

/** The last node with a conv family type whose output is a (C, H, W) map. */
function lastConvNode(model: Model): string | undefined {
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i];
    if (/Conv2D/.test(l.type) && l.outputShape.length === 3) return l.name;
  }
  return undefined;
}

function runMethods(model: Model, x: Tensor): string {
  const layer = lastConvNode(model);
  const done: string[] = [];
  try {
    if (layer === undefined) throw new Error('no conv node');
    for (const method of ['deconvnet', 'salinet', 'desalinet'] as const) {
      const r = backwardNet(model, x, { layer, method });
      if (!finite(r)) throw new Error(`${method} from ${layer}: not finite`);
      done.push(method);
    }
    const cam = gradCam(model, x);
    if (!finite(cam.cam)) throw new Error('gradcam: not finite');
    done.push('gradcam');
    const side = Math.max(1, Math.floor(x.shape[1] / 4));
    const occ = occlusion(model, x, { size: side, stride: side });
    if (!finite(occ.grid) || !finite(occ.attribution)) throw new Error('occlusion: not finite');
    done.push(`occlusion${occ.incremental ? '' : ''}`);
    return 'ok';
  } catch (e) {
    return `after [${done.join(',')}]: ${firstLine(e)}`;
  }
}

async function check(name: string, format: string, refs: Map<string, Tensor>): Promise<Row> {
  const row: Row = { model: name, format, nodes: '-', params: '-', loadMs: '-', forwardMs: '-', maxRel: '-', localRel: '-', compared: '-', classes: '-', methods: '-', notes: [] };
  const path = join(cache, `${name}.${format}`);
  if (!existsSync(path)) {
    row.methods = 'no file';
    return row;
  }
  let model: Model;
  const t0 = performance.now();
  try {
    model = await loadModel(path);
  } catch (e) {
    row.methods = `load: ${firstLine(e)}`;
    return row;
  }
  row.loadMs = Math.round(performance.now() - t0);
  row.nodes = model.layers.length;
  row.params = model.paramCount;
  const batch = channelsFirst(refs.get('input')!);
  const per = batch.size / batch.shape[0];
  const x0 = new Tensor(batch.shape.slice(1), batch.data.slice(0, per));
  try {
    const t1 = performance.now();
    const fwd = model.forward(x0);
    row.forwardMs = Math.round(performance.now() - t1);
    let worst = { rel: 0, node: '' };
    let compared = 0;
    let failed = 0;
    const missing: string[] = [];
    for (const layer of model.layers) {
      const ref = refs.get(`out:${layer.name}`);
      const rec = fwd.records.get(layer.name);
      if (!ref) {
        missing.push(layer.name);
        continue;
      }
      if (!rec) continue;
      const want = channelsFirst(ref);
      const got = rec.output;
      if (got.size !== want.size) {
        row.notes.push(`${layer.name} (${layer.type}): ${got.size} values, Keras ${want.size} (${ref.shape.join('x')})`);
        failed++;
        continue;
      }
      compared++;
      const scale = maxAbs(want.data);
      const diff = maxDiff(got.data, want.data);
      const rel = diff / (scale || 1);
      if (!(rel <= worst.rel)) worst = { rel, node: layer.name };
      if (!(diff <= 1e-4 * scale + 1e-6)) {
        failed++;
        if (failed <= 3) row.notes.push(`${layer.name} (${layer.type}): max abs err ${diff.toExponential(2)}, rel ${rel.toExponential(2)} (max|ref| ${scale.toExponential(2)})`);
      }
    }
    // Each node alone, on Keras's own outputs of the nodes it takes: tells a wrong node from float
    // error that grew along a deep path.
    let local = { rel: 0, node: '' };
    let localFailed = 0;
    model.layers.forEach((layer, i) => {
      const ref = refs.get(`out:${layer.name}`);
      const ins = model.sources[i].map((j) => (j < 0 ? x0 : refs.has(`out:${model.layers[j].name}`) ? channelsFirst(refs.get(`out:${model.layers[j].name}`)!) : undefined));
      if (!ref || ins.some((t) => !t)) return;
      const batched = ins as Tensor[];
      if (batched.some((t, k) => t.size !== sizeOfShape(layer.inputShapes[k]))) return;
      const want = channelsFirst(ref);
      let got: Tensor;
      try {
        got = layer.forwardAll(batched.map((t, k) => t.reshape([1, ...layer.inputShapes[k]]))).output;
      } catch {
        return;
      }
      const scale = maxAbs(want.data);
      const diff = maxDiff(got.data, want.data);
      const rel = diff / (scale || 1);
      if (!(rel <= local.rel)) local = { rel, node: layer.name };
      if (!(diff <= 1e-4 * scale + 1e-6)) {
        localFailed++;
        if (localFailed <= 3) row.notes.push(`ALONE ${layer.name} (${layer.type}) on Keras's inputs: max abs err ${diff.toExponential(2)}, rel ${rel.toExponential(2)}`);
      }
    });
    row.localRel = `${local.rel.toExponential(1)}${localFailed ? ` FAIL ${localFailed}` : ''}`;
    const kerasOnly = [...refs.keys()].filter((k) => k.startsWith('out:') && !model.layers.some((l) => `out:${l.name}` === k));
    if (missing.length) row.notes.push(`no Keras output for nodes: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}`);
    if (kerasOnly.length) row.notes.push(`Keras outputs without a node: ${kerasOnly.slice(0, 5).join(', ')}${kerasOnly.length > 5 ? ` (+${kerasOnly.length - 5})` : ''}`);
    row.maxRel = `${worst.rel.toExponential(1)}${failed ? ` FAIL ${failed}` : ''}`;
    row.compared = `${compared}/${model.layers.length}`;
    if (worst.node && failed) row.notes.push(`worst node: ${worst.node}`);

    const pred = model.predict(batch);
    const want = refs.get('pred')!;
    const k = want.shape[1];
    const classes: string[] = [];
    for (let n = 0; n < batch.shape[0]; n++) {
      const a = argmax(pred.data, n * k, k);
      const b = argmax(want.data, n * k, k);
      classes.push(a === b ? `${a}` : `${a}!=${b}`);
    }
    const predDiff = maxDiff(pred.data, want.data);
    if (!(predDiff <= 1e-4 * maxAbs(want.data) + 1e-6)) row.notes.push(`predict differs from Keras by ${predDiff.toExponential(2)}`);
    row.classes = classes.every((c) => !c.includes('!=')) ? `match ${classes.join(',')}` : `DIFFER ${classes.join(',')}`;
  } catch (e) {
    row.methods = `forward: ${firstLine(e)}`;
    return row;
  }
  row.methods = noMethods ? 'skipped' : runMethods(model, x0);
  return row;
}

function printTable(rows: Row[]): void {
  const head = ['model', 'format', 'nodes', 'params', 'load ms', 'fwd ms', 'max rel err', 'alone', 'compared', 'class', 'methods'];
  const cells = rows.map((r) => [r.model, r.format, String(r.nodes), String(r.params), String(r.loadMs), String(r.forwardMs), r.maxRel, r.localRel, r.compared, r.classes, r.methods]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => Math.min(c[i].length, 90))));
  const line = (c: string[]): string => '| ' + c.map((v, i) => v.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const c of cells) console.log(line(c));
  for (const r of rows) for (const n of r.notes) console.log(`  ${r.model}.${r.format}: ${n}`);
}

const rows: Row[] = [];
for (const name of names) {
  const refs = readNpz(join(cache, `${name}.npz`));
  for (const format of formats) {
    const row = await check(name, format, refs);
    rows.push(row);
    console.error(`${name}.${format}: ${row.maxRel} ${row.classes} ${row.methods}`);
  }
}
printTable(rows);

// For reference: the shipped MNIST CNN (golden-tested against PyTorch by the suite) on the shipped digit.
const mnist = await loadShippedModel();
const digit = readImageTensor('examples/digit-7.png', { channels: 1, height: 28, width: 28 });
const p = mnist.predict(digit);
console.log(`shipped MNIST model on examples/digit-7.png: class ${argmax(p.data, 0, 10)}, p = ${Math.max(...p.data).toFixed(4)}`);
