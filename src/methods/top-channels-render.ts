import { Canvas, textWidth } from '../io/png-output.ts';
import { normalizeMinMax } from '../io/colormap.ts';
import type { TopChannel } from './top-channels.ts';
import type { BackwardMethod } from './backward-net.ts';
import { besides, readableScale, signedCanvas } from './render.ts';

const TILE = 112;

/**
 * One row per channel: its number and maximum, its feature map (viridis), then its
 * reconstruction by each method (signed: blue negative, white 0, red positive), under a header
 * row naming the columns.
 */
export function topChannelsCanvas(channels: TopChannel[], methods: BackwardMethod[]): Canvas {
  const rows = channels.map((t) => {
    const [h, w] = t.featureMap.shape.length === 2 ? t.featureMap.shape : [1, 1];
    const s = readableScale(h, w, TILE);
    const map = new Canvas(w * s, h * s);
    map.drawMap(normalizeMinMax(t.featureMap.data), h, w, 0, 0, 'viridis', s);
    const recs = methods.map((m) => {
      const r = t.reconstructions[m]!;
      return signedCanvas(r, false, readableScale(r.shape[1], r.shape[2], TILE));
    });
    return [label(`ch ${t.channel}`, `max ${t.score.toPrecision(3)}`), map, ...recs];
  });
  const titles = ['', 'feature map', ...methods];
  const widths = titles.map((t, col) => Math.max(textWidth(t) + 4, ...rows.map((r) => r[col].width)));
  const header = new Canvas(widths.reduce((a, b) => a + b, 0) + 4 * (widths.length - 1), 14, [255, 255, 255]);
  let x = 0;
  titles.forEach((t, i) => {
    header.drawText(t, x + 2, 3, [0, 0, 0]);
    x += widths[i] + 4;
  });
  const padded = rows.map((parts) => besides(parts.map((p, col) => besides([p, new Canvas(Math.max(1, widths[col] - p.width), 1, [255, 255, 255])], 0)), 4));
  return besides([header, ...padded], 4, true);
}

function label(line1: string, line2: string): Canvas {
  const c = new Canvas(Math.max(textWidth('ch 000', 2), textWidth(line1, 2), textWidth(line2)) + 6, TILE, [255, 255, 255]);
  c.drawText(line1, 2, 2, [0, 0, 0], 2);
  c.drawText(line2, 2, 22, [80, 80, 80]);
  return c;
}
