import { Tensor } from '../tensor.ts';
import { Canvas, textWidth } from './png-output.ts';
import { colormap, normalizeMinMax, normalizeSymmetric, type RGB } from './colormap.ts';
import type { EvolutionSnapshot, LayerSnapshot } from '../train/evolution.ts';

/** The three grids of a watched layer: rows epochs, columns channels. */
export type EvolutionGridKind = 'featureMaps' | 'reconstructions' | 'filters';

const TEXT: RGB = [40, 40, 40];
const WHITE: RGB = [255, 255, 255];
/** Between tiles: not white, which is 0 in the signed grids. */
const GAP_COLOUR: RGB = [200, 200, 200];
const GAP = 2;
const PAD = 4;
/** A tile's longer side is upscaled (nearest neighbour) to at least this many pixels. */
const TILE = 56;

/**
 * One grid of a watched layer's evolution: a row per snapshot (epoch 0 at the top), a column
 * per channel, each tile normalised on its own. Feature maps: min-max, viridis. Reconstructions
 * and filters are signed: symmetric around 0 (white), blue-white-red for one channel, mid-grey
 * per colour for three. Undefined when the layer has no such grid (filters of a deep layer).
 */
export function evolutionGrid(snapshots: readonly EvolutionSnapshot[], layer: string, kind: EvolutionGridKind): Canvas | undefined {
  const rows = snapshots.map((s) => ({ epoch: s.epoch, layer: s.layers.find((l) => l.layer === layer) }));
  if (rows.length === 0 || rows.some((r) => !r.layer?.[kind])) return undefined;
  const tiles = (l: LayerSnapshot): Tensor[] => (kind === 'filters' ? splitFilters(l.filters!) : l[kind]);
  const first = tiles(rows[0].layer!);
  const columns = first.length;
  const [h, w] = first[0].shape.slice(-2);
  const upscale = Math.max(1, Math.ceil(TILE / Math.max(h, w)));
  const tileW = w * upscale;
  const tileH = h * upscale;
  const labels = kind === 'filters' ? first.map((_, i) => String(i)) : rows[0].layer!.channels.map(String);
  const headScale = labels.every((l) => textWidth(l, 2) <= tileW) ? 2 : 1;
  const rowLabel = (epoch: number) => `epoch ${epoch}`;
  const labelW = Math.max(...rows.map((r) => textWidth(rowLabel(r.epoch), 2))) + 2 * PAD;
  const headH = 8 * headScale + 2 * PAD;
  const canvas = new Canvas(labelW + columns * (tileW + GAP), headH + rows.length * (tileH + GAP), WHITE);
  canvas.fillRect(labelW - GAP, headH - GAP, columns * (tileW + GAP) + GAP, rows.length * (tileH + GAP) + GAP, GAP_COLOUR);
  labels.forEach((l, c) => canvas.drawText(l, labelW + c * (tileW + GAP) + Math.floor((tileW - textWidth(l, headScale)) / 2), PAD, TEXT, headScale));
  rows.forEach((r, i) => {
    const y = headH + i * (tileH + GAP);
    canvas.drawText(rowLabel(r.epoch), PAD, y + Math.floor((tileH - 16) / 2), TEXT, 2);
    tiles(r.layer!).forEach((t, c) => paintTile(canvas, t, kind === 'featureMaps', labelW + c * (tileW + GAP), y, upscale));
  });
  return canvas;
}

/** A kernel (F, C, KH, KW) as F tiles (C, KH, KW). */
function splitFilters(kernel: Tensor): Tensor[] {
  const [f, ...rest] = kernel.shape;
  const per = kernel.size / f;
  return Array.from({ length: f }, (_, i) => new Tensor(rest, kernel.data.subarray(i * per, (i + 1) * per)));
}

function paintTile(canvas: Canvas, t: Tensor, minmax: boolean, x: number, y: number, upscale: number): void {
  const [h, w] = t.shape.slice(-2);
  const c = t.rank === 3 ? t.shape[0] : 1;
  if (minmax) {
    canvas.drawMap(normalizeMinMax(t.data), h, w, x, y, 'viridis', upscale);
    return;
  }
  if (c === 3) {
    const n = normalizeSymmetric(t.data);
    for (let i = 0; i < h * w; i++) {
      const v = (ch: number) => Math.round(255 * n[ch * h * w + i]);
      canvas.fillRect(x + (i % w) * upscale, y + Math.floor(i / w) * upscale, upscale, upscale, [v(0), v(1), v(2)]);
    }
    return;
  }
  // Several channels that are not a colour picture: their sum, as the backward nets' pictures show it.
  const plane = new Float32Array(h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) plane[i] += t.data[ch * h * w + i];
  canvas.drawMap(normalizeSymmetric(plane), h, w, x, y, colormap('diverging'), upscale);
}
