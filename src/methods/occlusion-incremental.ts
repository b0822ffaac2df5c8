// Incremental occlusion (Krypton; Nakandala, Kumar & Papakonstantinou, SIGMOD 2019). An occluder
// changes one rectangle of the input; through a conv or pooling layer the changed rectangle grows
// by the receptive field, through an elementwise layer it stays, through ZeroPadding2D it moves.
// Each layer's changed output rectangle is recomputed from a crop of the cached unoccluded input
// of that layer (with the occluded patch written over it), with the engine's own ops and explicit
// padding where the crop meets the border, so each value is the same dot product, by the same
// kernel, as in the full forward. Once the rectangle covers a whole map, or a layer mixes all
// positions (Flatten, Dense, global pooling, Reshape), the occluded images are rebuilt at that
// layer's input (cached map + patch) and run the rest of the way in batches.
import { Tensor, sizeOf, type Padding2d } from '../tensor.ts';
import type { Layer } from '../layers/layer.ts';
import { Conv2DLayer } from '../layers/conv2d.ts';
import { MaxPooling2DLayer, AveragePooling2DLayer } from '../layers/pooling.ts';
import { BatchNormalizationLayer } from '../layers/batch-norm.ts';
import { IdentityLayer, ZeroPadding2DLayer } from '../layers/shape-layers.ts';
import { applyActivation } from '../layers/activation-fns.ts';
import { conv2d } from '../ops/conv2d.ts';
import { maxPool2d, avgPool2d } from '../ops/pool2d.ts';

/** How a layer carries a changed rectangle from its input to its output; null for a layer that mixes all positions. */
type Step =
  | { kind: 'window'; kernel: readonly [number, number]; stride: readonly [number, number]; dilation: readonly [number, number]; pad: Padding2d; align: number; run(x: Tensor, pad: Padding2d): Tensor }
  | { kind: 'pointwise'; run(x: Tensor): Tensor }
  | { kind: 'shift'; top: number; left: number };

function stepOf(layer: Layer): Step | null {
  if (layer.inputShape.length !== 3 || layer.outputShape.length !== 3) return null;
  if (layer instanceof Conv2DLayer) {
    const { kernel, bias, strides, dilation } = layer.config;
    return {
      kind: 'window', kernel: [kernel.shape[2], kernel.shape[3]], stride: strides, dilation, pad: layer.pad, align: winogradShaped(layer) ? WINOGRAD_TILE : 1,
      run: (x, padding) => applyActivation(layer.activation, conv2d(x, kernel, bias, { stride: strides, dilation, padding })),
    };
  }
  if (layer instanceof MaxPooling2DLayer || layer instanceof AveragePooling2DLayer) {
    const { kernel, stride } = layer.options;
    const max = layer instanceof MaxPooling2DLayer;
    return {
      kind: 'window', kernel, stride: stride ?? kernel, dilation: [1, 1], pad: layer.options.padding!, align: 1,
      run: (x, padding) => applyActivation(layer.activation, max ? maxPool2d(x, { kernel, stride, padding }).y : avgPool2d(x, { kernel, stride, padding })),
    };
  }
  if (layer instanceof BatchNormalizationLayer || (layer instanceof IdentityLayer && layer.activation !== 'softmax')) {
    return { kind: 'pointwise', run: (x) => layer.forward(x).output };
  }
  if (layer instanceof ZeroPadding2DLayer) return { kind: 'shift', top: layer.pad.top, left: layer.pad.left };
  return null;
}

/**
 * A 3x3 stride-1 conv may run on the Winograd path (assembly/f32-conv2d/winograd.ts), which
 * computes outputs in 2x2 tiles from (0, 0): a patch of its output is then computed from an even
 * row and column to an even one (or the map's edge) to get the same bits as the full map. The
 * extra outputs come out with the bits of the cache (a tile's output does not depend, even in
 * rounding, on inputs outside its window), so only the changed part travels on and the widening
 * does not grow from layer to layer.
 */
const WINOGRAD_TILE = 2;

function winogradShaped(layer: Conv2DLayer): boolean {
  const { kernel, strides, dilation } = layer.config;
  return kernel.shape[2] === 3 && kernel.shape[3] === 3 && strides[0] === 1 && strides[1] === 1 && dilation[0] === 1 && dilation[1] === 1;
}

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

/** The spans of one axis (0: rows, 1: columns) through layers 0..last for an input range [r0, r1); null from where nothing changes. */
function axisSpans(layers: readonly Layer[], steps: readonly (Step | null)[], axis: 0 | 1, r0: number, r1: number, last: number): (Span | null)[] {
  const spans: (Span | null)[] = [];
  let range: [number, number] | null = r0 < r1 ? [r0, r1] : null;
  for (let l = 0; l <= last; l++) {
    const step = steps[l];
    let span: Span | null = null;
    if (step !== null && range !== null) {
      if (step.kind === 'window') {
        const before = axis === 0 ? step.pad.top : step.pad.left;
        span = windowSpan(range[0], range[1], layers[l].inputShape[axis + 1], layers[l].outputShape[axis + 1], step.kernel[axis], step.stride[axis], step.dilation[axis], before, step.align);
      } else {
        const shift = step.kind === 'shift' ? (axis === 0 ? step.top : step.left) : 0;
        const [lo, hi] = [range[0] + shift, range[1] + shift];
        span = { lo, hi, changedLo: lo, changedHi: hi, c0: range[0], c1: range[1], before: 0, after: 0 };
      }
    }
    spans.push(span);
    range = span === null ? null : [span.changedLo, span.changedHi];
  }
  return spans;
}

/** Half-open rectangle of a (C, H, W) map, with the values of all channels inside it: (C, y1 - y0, x1 - x0). */
interface Patch {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  data: Float32Array;
}

/** The plan for one occluded position: its spans per layer and the first layer it computes in full. */
export interface PositionPlan {
  index: number;
  rows: (Span | null)[];
  cols: (Span | null)[];
  /** Layers before `from` are computed as patches; from `from` to the last one in full, batched. */
  from: number;
}

/**
 * Plans every window (i, j) of the grid: where its changed rectangle stops being a patch.
 * `last` is the last layer the target needs. A window whose change vanishes (it falls between
 * the windows of a strided layer) never computes anything in full: from = last + 1.
 */
export function planPositions(
  layers: readonly Layer[], h: number, w: number, size: number, stride: number, ny: number, nx: number, last: number,
): PositionPlan[] {
  const steps = layers.map(stepOf);
  const rowSpans = Array.from({ length: ny }, (_, i) => axisSpans(layers, steps, 0, i * stride, Math.min(h, i * stride + size), last));
  const colSpans = Array.from({ length: nx }, (_, j) => axisSpans(layers, steps, 1, j * stride, Math.min(w, j * stride + size), last));
  const plans: PositionPlan[] = [];
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const rows = rowSpans[i];
      const cols = colSpans[j];
      let from = last + 1;
      for (let l = 0; l <= last; l++) {
        if (steps[l] === null) {
          from = l;
          break;
        }
        const r = rows[l];
        const c = cols[l];
        if (r === null || c === null) break;
        const [, oh, ow] = layers[l].outputShape;
        if (r.lo === 0 && r.hi === oh && c.lo === 0 && c.hi === ow) {
          from = l;
          break;
        }
      }
      plans.push({ index: i * nx + j, rows, cols, from });
    }
  }
  return plans;
}

/**
 * The input of layer `from` (the output of layer from-1, or the input image) for each planned
 * position of a batch that shares `from`: the cached map with the position's recomputed patch
 * over it, (B, ...shape). `cached[l]` is layer l's unoccluded output, `image` the unoccluded input.
 */
export function patchedInputs(
  layers: readonly Layer[], image: Float32Array, cached: readonly Float32Array[], plans: readonly PositionPlan[],
  occluder: (plan: PositionPlan) => Patch, from: number,
): Tensor {
  const steps = layers.map(stepOf);
  let patches: (Patch | null)[] = plans.map(occluder);
  for (let l = 0; l < from; l++) {
    const step = steps[l];
    if (step === null) {
      // only windows whose change vanished before this layer get here: nothing left to compute
      patches = patches.map(() => null);
      continue;
    }
    const source = l === 0 ? image : cached[l - 1];
    const [c, h, w] = layers[l].inputShape;
    const next: (Patch | null)[] = patches.map(() => null);
    const groups = new Map<string, number[]>();
    patches.forEach((p, b) => {
      const r = plans[b].rows[l];
      const col = plans[b].cols[l];
      if (p === null || r === null || col === null) return;
      if (step.kind === 'shift') {
        // the patch moves whole (it may reach past the changed part: see windowSpan)
        const [dy, dx] = [r.lo - r.c0, col.lo - col.c0];
        next[b] = { y0: p.y0 + dy, y1: p.y1 + dy, x0: p.x0 + dx, x1: p.x1 + dx, data: p.data };
        return;
      }
      // batched by the shape of the input crop (for a pointwise layer, the changed part)
      const key = `${r.c1 - r.c0},${r.before},${r.after},${col.c1 - col.c0},${col.before},${col.after}`;
      const group = groups.get(key);
      if (group) group.push(b);
      else groups.set(key, [b]);
    });
    for (const members of groups.values()) {
      const r0 = plans[members[0]].rows[l]!;
      const c0 = plans[members[0]].cols[l]!;
      const ch = r0.c1 - r0.c0;
      const cw = c0.c1 - c0.c0;
      const x = new Tensor([members.length, c, ch, cw]);
      members.forEach((b, g) => {
        const r = plans[b].rows[l]!;
        const col = plans[b].cols[l]!;
        const dst = x.data.subarray(g * c * ch * cw, (g + 1) * c * ch * cw);
        if (step.kind === 'window') copyRect(source, h, w, r.c0, col.c0, dst, ch, cw);
        pasteInto(dst, ch, cw, r.c0, col.c0, patches[b]!);
      });
      const y = step.kind === 'window'
        ? step.run(x, { top: r0.before, bottom: r0.after, left: c0.before, right: c0.after })
        : step.kind === 'pointwise' ? step.run(x) : x;
      const oh = r0.hi - r0.lo;
      const ow = c0.hi - c0.lo;
      const per = y.size / members.length;
      if (y.shape[2] !== oh || y.shape[3] !== ow) throw new Error(`occlusion: patch of '${layers[l].name}' came out ${y.shape[2]}x${y.shape[3]}, expected ${oh}x${ow}`);
      members.forEach((b, g) => {
        const r = plans[b].rows[l]!;
        const col = plans[b].cols[l]!;
        next[b] = { y0: r.lo, y1: r.hi, x0: col.lo, x1: col.hi, data: y.data.subarray(g * per, (g + 1) * per) };
      });
    }
    patches = next;
  }
  const map = from === 0 ? image : cached[from - 1];
  const shape = from === 0 ? layers[0].inputShape : layers[from - 1].outputShape;
  const out = new Tensor([plans.length, ...shape]);
  const per = sizeOf(shape);
  const [, h, w] = shape;
  patches.forEach((p, b) => {
    const dst = out.data.subarray(b * per, (b + 1) * per);
    dst.set(map);
    if (p !== null) pasteInto(dst, h, w, 0, 0, p);
  });
  return out;
}

/** The occluder's rectangle [y0, y1) x [x0, x1) of the input, filled with `fill`; empty where a window starts past the border (stride > size). */
export function occluderPatch(channels: number, h: number, w: number, y0: number, y1: number, x0: number, x1: number, fill: Float32Array): Patch {
  const [ya, xa] = [Math.min(y0, y1), Math.min(x0, x1)];
  const data = new Float32Array(channels * (y1 - ya) * (x1 - xa));
  copyRect(fill, h, w, ya, xa, data, y1 - ya, x1 - xa);
  return { y0: ya, y1, x0: xa, x1, data };
}

/** dst (C, ch, cw) = rows [y0, y0 + ch), columns [x0, x0 + cw) of src (C, h, w). */
function copyRect(src: Float32Array, h: number, w: number, y0: number, x0: number, dst: Float32Array, ch: number, cw: number): void {
  const channels = dst.length / (ch * cw);
  let to = 0;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < ch; y++) {
      const from = (c * h + y0 + y) * w + x0;
      for (let x = 0; x < cw; x++) dst[to++] = src[from + x];
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

/**
 * Multiply-accumulates of the conv and Dense layers up to `last`, for every window: computed in
 * full (naive) and as Krypton does (patches up to each window's `from`, then in full).
 */
export function occlusionWork(layers: readonly Layer[], plans: readonly PositionPlan[], last: number): { full: number; incremental: number } {
  const macs = (l: number, outPositions: number): number => {
    const layer = layers[l];
    if (layer instanceof Conv2DLayer) {
      const [cout, cin, kh, kw] = layer.config.kernel.shape;
      return outPositions * cout * cin * kh * kw;
    }
    return layer.type === 'Dense' ? sizeOf(layer.inputShape) * layer.outputShape[0] : 0;
  };
  const perImage = layers.slice(0, last + 1).reduce((s, layer, l) => s + macs(l, layer.outputShape.length === 3 ? layer.outputShape[1] * layer.outputShape[2] : 1), 0);
  let incremental = 0;
  for (const p of plans) {
    for (let l = 0; l <= last; l++) {
      const layer = layers[l];
      if (l >= p.from) incremental += macs(l, layer.outputShape.length === 3 ? layer.outputShape[1] * layer.outputShape[2] : 1);
      else if (p.rows[l] && p.cols[l]) incremental += macs(l, (p.rows[l]!.hi - p.rows[l]!.lo) * (p.cols[l]!.hi - p.cols[l]!.lo));
    }
  }
  return { full: perImage * plans.length, incremental };
}
