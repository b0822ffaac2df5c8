// Incremental occlusion (Krypton; Nakandala, Kumar & Papakonstantinou, SIGMOD 2019), through the
// model's graph. An occluder changes one rectangle of the input; each node carries the changed
// rectangles of its inputs to its output by its rule (occlusion-rules.ts): grown by a window,
// united by a merge, moved by padding. Each node's changed output rectangle is recomputed from a
// crop of its cached unoccluded inputs (with their changed patches written over them), with the
// engine's own ops and explicit padding where the crop meets the border, so each value is the same
// dot product, by the same kernel, as in the full forward. Once a node's rectangle covers its whole
// map, or it mixes all positions (global pooling, Flatten, Dense), it is computed in full for the
// occluded images, batched, and so is every node after it that depends on it.
import { Tensor, sizeOf } from '../tensor.ts';
import type { Model } from '../model/model.ts';
import type { Layer } from '../layers/layer.ts';
import { patchRule, mixesAllPositions, type PatchRule } from './occlusion-rules.ts';

/**
 * Along one axis of one layer: the output range [lo, hi) recomputed, and for a window layer the
 * input range [c0, c1) it is computed from, with `before`/`after` padded positions beyond it.
 * [changedLo, changedHi) is the part of [lo, hi) that the occluder changes, which is what the next
 * layer sees change; the rest is there to keep Winograd's tiles, and comes out equal to the cache.
 */
export interface Span {
  lo: number;
  hi: number;
  changedLo: number;
  changedHi: number;
  c0: number;
  c1: number;
  before: number;
  after: number;
}

/**
 * Output positions o whose window [o*s - pad, o*s - pad + (k-1)*d] meets input range [r0, r1),
 * computed over that range widened to multiples of `align` (or the map's end); null if none.
 */
export function windowSpan(r0: number, r1: number, n: number, outLen: number, k: number, s: number, d: number, pad: number, align = 1): Span | null {
  const extent = (k - 1) * d + 1;
  const changedLo = Math.max(0, Math.ceil((r0 + pad - extent + 1) / s));
  const changedHi = Math.min(outLen, Math.floor((r1 - 1 + pad) / s) + 1);
  if (changedLo >= changedHi) return null;
  const lo = changedLo - (changedLo % align);
  const hi = Math.min(outLen, Math.ceil(changedHi / align) * align);
  const start = lo * s - pad;
  const end = (hi - 1) * s - pad + extent;
  const c0 = Math.max(0, start);
  const c1 = Math.min(n, end);
  return { lo, hi, changedLo, changedHi, c0, c1, before: c0 - start, after: end - c1 };
}

/** A node's changed output rectangle for one window: the rows and columns recomputed. */
export interface Rect {
  rows: Span;
  cols: Span;
}

/** A node's part in one window's computation: unchanged (null), a recomputed rectangle, or computed in full. */
export type NodeState = Rect | null | 'full';

/** The plan for one occluded position (window i * nx + j of the grid). */
export interface PositionPlan {
  index: number;
  /** By node index, for the nodes the target needs. */
  states: NodeState[];
  /** The first node computed in full; last + 1 where none is. */
  from: number;
}

/** Each layer's patch rule, worked out once. */
const rules = new WeakMap<Layer, PatchRule | null>();
function ruleOf(layer: Layer): PatchRule | null {
  if (!rules.has(layer)) rules.set(layer, patchRule(layer));
  return rules.get(layer)!;
}

/** A span that is recomputed from the same range of its inputs, all of it changed. */
function sameSpan(lo: number, hi: number): Span {
  return { lo, hi, changedLo: lo, changedHi: hi, c0: lo, c1: hi, before: 0, after: 0 };
}

/** A span carried whole by `by` positions: recomputed from (or moved from) all of its input patch. */
function moved(s: Span, by: number): Span {
  return { lo: s.lo + by, hi: s.hi + by, changedLo: s.changedLo + by, changedHi: s.changedHi + by, c0: s.lo, c1: s.hi, before: 0, after: 0 };
}

/**
 * Plans every window (i, j) of the grid through the nodes that node `last` (the target) needs:
 * which nodes it leaves unchanged, which it changes in a rectangle, and from where they are
 * computed in full. A window whose change vanishes (between the windows of a strided layer)
 * leaves the rest unchanged.
 */
export function planPositions(model: Model, h: number, w: number, size: number, stride: number, ny: number, nx: number, last: number): PositionPlan[] {
  const nodes = model.ancestors(last);
  const plans: PositionPlan[] = [];
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const [r0, r1, c0, c1] = [i * stride, Math.min(h, i * stride + size), j * stride, Math.min(w, j * stride + size)];
      const input: NodeState = r0 < r1 && c0 < c1 ? { rows: sameSpan(r0, r1), cols: sameSpan(c0, c1) } : null;
      const states: NodeState[] = new Array(model.layers.length).fill(null);
      for (const n of nodes) states[n] = nodeState(model, n, model.sources[n].map((k) => (k < 0 ? input : states[k])));
      const from = nodes.find((n) => states[n] === 'full') ?? last + 1;
      plans.push({ index: i * nx + j, states, from });
    }
  }
  return plans;
}

/** Every node the target needs in full, for every window: how the 'batched' and 'naive' strategies run. */
export function fullPlans(model: Model, count: number, last: number): PositionPlan[] {
  const nodes = model.ancestors(last);
  return Array.from({ length: count }, (_, index) => {
    const states: NodeState[] = new Array(model.layers.length).fill(null);
    for (const n of nodes) states[n] = 'full';
    return { index, states, from: nodes[0] };
  });
}

function nodeState(model: Model, n: number, inputs: readonly NodeState[]): NodeState {
  if (inputs.includes('full')) return 'full';
  const changed = inputs.filter((s): s is Rect => s !== null);
  if (changed.length === 0) return null;
  const layer = model.layers[n];
  const rule = ruleOf(layer);
  if (rule === null) return 'full';
  let rect: Rect;
  if (rule.kind === 'window') {
    const [{ rows, cols }] = changed;
    const [, h, w] = layer.inputShape;
    const [, oh, ow] = layer.outputShape;
    const r = windowSpan(rows.changedLo, rows.changedHi, h, oh, rule.kernel[0], rule.stride[0], rule.dilation[0], rule.pad.top, rule.align);
    const c = windowSpan(cols.changedLo, cols.changedHi, w, ow, rule.kernel[1], rule.stride[1], rule.dilation[1], rule.pad.left, rule.align);
    if (r === null || c === null) return null;
    rect = { rows: r, cols: c };
  } else if (rule.kind === 'shift' || inputs.length === 1) {
    // moved by padding, or a position-wise node of one input: recomputed on its input's whole patch
    const [{ rows, cols }] = changed;
    const [dy, dx] = rule.kind === 'shift' ? [rule.top, rule.left] : [0, 0];
    rect = { rows: moved(rows, dy), cols: moved(cols, dx) };
  } else {
    // the union of the inputs' changed rectangles, recomputed from the same rectangle of each input
    const union = (axis: 'rows' | 'cols') => sameSpan(Math.min(...changed.map((s) => s[axis].changedLo)), Math.max(...changed.map((s) => s[axis].changedHi)));
    rect = { rows: union('rows'), cols: union('cols') };
  }
  const [, oh, ow] = layer.outputShape;
  return rect.rows.lo === 0 && rect.rows.hi === oh && rect.cols.lo === 0 && rect.cols.hi === ow ? 'full' : rect;
}

/** The windows in the order occlusion runs them: in groups that compute the same nodes in full, so that each group runs in batches. */
export function planGroups(plans: readonly PositionPlan[]): PositionPlan[][] {
  const groups = new Map<string, PositionPlan[]>();
  for (const p of plans) {
    const key = p.states.map((s) => (s === 'full' ? 1 : 0)).join('');
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  return [...groups.values()];
}

/** Why the window that stays incremental the longest goes over to full computation at node `from`. */
export function whyFull(model: Model, from: number): string {
  const layer = model.layers[from];
  if (ruleOf(layer) !== null) return 'the change covers its whole map';
  return mixesAllPositions(layer) ? 'it mixes all positions' : 'it has no patch rule';
}

/** Half-open rectangle of a (C, H, W) map, with the values of all channels inside it: (C, y1 - y0, x1 - x0). */
export interface Patch {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  data: Float32Array;
}

/**
 * Node `last`'s output for each planned position of a batch that shares its full nodes (planGroups),
 * (B, ...shape). `cached[n]` is node n's unoccluded output, `image` the unoccluded input, and
 * `occluder` gives each position's changed patch of the input.
 */
export function occludedOutputs(
  model: Model, last: number, image: Float32Array, cached: readonly Float32Array[], plans: readonly PositionPlan[], occluder: (plan: PositionPlan) => Patch | null,
): Tensor {
  const nodes = model.ancestors(last);
  const lastUse = new Map<number, number>();
  for (const n of nodes) for (const k of model.sources[n]) lastUse.set(k, n);
  const patches = new Map<number, (Patch | null)[]>([[-1, plans.map(occluder)]]);
  const fulls = new Map<number, Tensor>();
  const mapOf = (k: number) => (k < 0 ? image : cached[k]);
  // node k's output for each position: the cached map with the position's patch over it
  const assembled = (k: number): Tensor => {
    const shape = k < 0 ? model.inputShape : model.layers[k].outputShape;
    const per = sizeOf(shape);
    const out = new Tensor([plans.length, ...shape]);
    patches.get(k)!.forEach((p, b) => {
      const dst = out.data.subarray(b * per, (b + 1) * per);
      dst.set(mapOf(k));
      if (p !== null) pasteInto(dst, shape[1], shape[2], 0, 0, p);
    });
    return out;
  };
  for (const n of nodes) {
    const sources = model.sources[n];
    if (plans[0].states[n] === 'full') fulls.set(n, model.layers[n].forwardAll(sources.map((k) => fulls.get(k) ?? assembled(k))).output);
    else patches.set(n, nodePatches(model, n, plans, patches, mapOf));
    for (const k of sources) {
      if (lastUse.get(k) === n && k !== last) {
        patches.delete(k);
        fulls.delete(k);
      }
    }
  }
  return fulls.get(last) ?? assembled(last);
}

/** Node n's recomputed patch for each position (null where it is unchanged), batched by the shape of the input crop. */
function nodePatches(
  model: Model, n: number, plans: readonly PositionPlan[], patches: ReadonlyMap<number, readonly (Patch | null)[]>, mapOf: (k: number) => Float32Array,
): (Patch | null)[] {
  const layer = model.layers[n];
  const rule = ruleOf(layer);
  const sources = model.sources[n];
  // a node without a rule is reached here only by windows whose change vanished before it
  if (rule === null) return plans.map(() => null);
  if (rule.kind === 'shift') {
    // the patch moves whole (it may reach past the changed part: see windowSpan)
    return plans.map((plan, b) => {
      const state = plan.states[n] as Rect | null;
      return state && { y0: state.rows.lo, y1: state.rows.hi, x0: state.cols.lo, x1: state.cols.hi, data: patches.get(sources[0])![b]!.data };
    });
  }
  const out: (Patch | null)[] = plans.map(() => null);
  const groups = new Map<string, number[]>();
  plans.forEach((plan, b) => {
    const state = plan.states[n] as Rect | null;
    if (state === null) return;
    const { rows: r, cols: c } = state;
    const key = `${r.c1 - r.c0},${r.before},${r.after},${c.c1 - c.c0},${c.before},${c.after}`;
    const group = groups.get(key);
    if (group) group.push(b);
    else groups.set(key, [b]);
  });
  for (const members of groups.values()) {
    const first = plans[members[0]].states[n] as Rect;
    const [ch, cw] = [first.rows.c1 - first.rows.c0, first.cols.c1 - first.cols.c0];
    const inputs = sources.map((k, input) => {
      const [c, h, w] = layer.inputShapes[input];
      const from = members.map((b) => patches.get(k)![b]);
      const crops = members.map((b) => plans[b].states[n] as Rect);
      // the crop is often the input's patch itself (after a conv, batch norm and ReLU just take it)
      if (from.every((p, g) => p !== null && p.y0 === crops[g].rows.c0 && p.y1 === crops[g].rows.c1 && p.x0 === crops[g].cols.c0 && p.x1 === crops[g].cols.c1)) {
        return stacked(from.map((p) => p!.data), [members.length, c, ch, cw]);
      }
      const x = new Tensor([members.length, c, ch, cw]);
      members.forEach((_, g) => {
        const { rows, cols } = crops[g];
        const dst = x.data.subarray(g * c * ch * cw, (g + 1) * c * ch * cw);
        cropWithPatch(mapOf(k), h, w, rows.c0, cols.c0, dst, ch, cw, from[g]);
      });
      return x;
    });
    const { rows, cols } = first;
    const y = rule.kind === 'window' ? rule.run(inputs[0], { top: rows.before, bottom: rows.after, left: cols.before, right: cols.after }) : rule.run(inputs);
    const [oh, ow] = [rows.hi - rows.lo, cols.hi - cols.lo];
    if (y.shape[2] !== oh || y.shape[3] !== ow) throw new Error(`occlusion: patch of '${layer.name}' came out ${y.shape[2]}x${y.shape[3]}, expected ${oh}x${ow}`);
    const per = y.size / members.length;
    members.forEach((b, g) => {
      const { rows: r, cols: c } = plans[b].states[n] as Rect;
      out[b] = { y0: r.lo, y1: r.hi, x0: c.lo, x1: c.hi, data: y.data.subarray(g * per, (g + 1) * per) };
    });
  }
  return out;
}

/** The patches' values one after another as one tensor: a view when they already lie so in one buffer (a batch's outputs). */
function stacked(parts: readonly Float32Array[], shape: readonly number[]): Tensor {
  const per = parts[0].length;
  const first = parts[0];
  if (parts.every((p, g) => p.buffer === first.buffer && p.byteOffset === first.byteOffset + g * per * 4)) {
    return new Tensor(shape, new Float32Array(first.buffer, first.byteOffset, per * parts.length));
  }
  const out = new Tensor(shape);
  parts.forEach((p, g) => out.data.set(p, g * per));
  return out;
}

/** The occluder's rectangle [y0, y1) x [x0, x1) of the input, filled with `fill`; empty where a window starts past the border (stride > size). */
export function occluderPatch(channels: number, h: number, w: number, y0: number, y1: number, x0: number, x1: number, fill: Float32Array): Patch {
  const [ya, xa] = [Math.min(y0, y1), Math.min(x0, x1)];
  const data = new Float32Array(channels * (y1 - ya) * (x1 - xa));
  cropWithPatch(fill, h, w, ya, xa, data, y1 - ya, x1 - xa, null);
  return { y0: ya, y1, x0: xa, x1, data };
}

/**
 * dst (C, ch, cw) = rows [y0, y0 + ch), columns [x0, x0 + cw) of map (C, h, w), with the part of
 * patch p (when given) that falls inside written over it: each value copied once.
 */
function cropWithPatch(map: Float32Array, h: number, w: number, y0: number, x0: number, dst: Float32Array, ch: number, cw: number, p: Patch | null): void {
  const channels = dst.length / (ch * cw);
  // the patch's columns inside the crop, [xa, xb), and its width
  const xa = p === null ? x0 : Math.min(Math.max(p.x0, x0), x0 + cw);
  const xb = p === null ? x0 : Math.max(Math.min(p.x1, x0 + cw), xa);
  const pw = p === null ? 0 : p.x1 - p.x0;
  const ph = p === null ? 0 : p.y1 - p.y0;
  let to = 0;
  for (let c = 0; c < channels; c++) {
    for (let y = y0; y < y0 + ch; y++) {
      const row = (c * h + y) * w;
      if (p === null || y < p.y0 || y >= p.y1 || xa === xb) {
        for (let x = x0; x < x0 + cw; x++) dst[to++] = map[row + x];
        continue;
      }
      const patchRow = (c * ph + y - p.y0) * pw - p.x0;
      for (let x = x0; x < xa; x++) dst[to++] = map[row + x];
      for (let x = xa; x < xb; x++) dst[to++] = p.data[patchRow + x];
      for (let x = xb; x < x0 + cw; x++) dst[to++] = map[row + x];
    }
  }
}

/** Writes the part of patch p that falls inside dst, a (C, dh, dw) window whose top left is (oy, ox) of the map. */
function pasteInto(dst: Float32Array, dh: number, dw: number, oy: number, ox: number, p: Patch): void {
  const channels = dst.length / (dh * dw);
  const pw = p.x1 - p.x0;
  const ph = p.y1 - p.y0;
  const ya = Math.max(p.y0, oy);
  const yb = Math.min(p.y1, oy + dh);
  const xa = Math.max(p.x0, ox);
  const xb = Math.min(p.x1, ox + dw);
  if (ya >= yb || xa >= xb) return;
  const src = p.data;
  const n = xb - xa;
  for (let c = 0; c < channels; c++) {
    for (let y = ya; y < yb; y++) {
      const from = (c * ph + y - p.y0) * pw + xa - p.x0;
      const to = (c * dh + y - oy) * dw + xa - ox;
      for (let x = 0; x < n; x++) dst[to + x] = src[from + x];
    }
  }
}

/** Multiply-accumulates per output position of a node: its kernels' sizes (conv, depthwise, separable, Dense). */
function macsPerPosition(layer: Layer): number {
  return Object.entries(layer.weights).reduce((s, [name, t]) => (name.includes('kernel') ? s + t.size : s), 0);
}

/**
 * Multiply-accumulates of the nodes the target needs, for every window: computed in full (naive)
 * and as Krypton does (the changed rectangles, then in full where the plan says).
 */
export function occlusionWork(model: Model, plans: readonly PositionPlan[], last: number): { full: number; incremental: number } {
  const nodes = model.ancestors(last);
  const perPosition = nodes.map((n) => macsPerPosition(model.layers[n]));
  const full = nodes.map((n, i) => {
    const shape = model.layers[n].outputShape;
    return perPosition[i] * (shape.length === 3 ? shape[1] * shape[2] : 1);
  });
  const perImage = full.reduce((s, v) => s + v, 0);
  let incremental = 0;
  for (const p of plans) {
    nodes.forEach((n, i) => {
      const state = p.states[n];
      if (state === 'full') incremental += full[i];
      else if (state !== null) incremental += perPosition[i] * (state.rows.hi - state.rows.lo) * (state.cols.hi - state.cols.lo);
    });
  }
  return { full: perImage * plans.length, incremental };
}
