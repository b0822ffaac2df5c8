import { renderGrid, type Canvas } from '../io/png-output.ts';

/**
 * A grid of one sample's feature maps: (C, H, W) gives one tile per channel (or per channel of
 * `channels`, in that order), labelled with the channel number, each normalised on its own (viridis). A (K) vector is shown as one tile,
 * laid out row by row in a near-square block.
 */
export function featureMapGrid(values: Float32Array, shape: readonly number[], channels?: readonly number[]): Canvas {
  if (shape.length === 3) {
    const [c, h, w] = shape;
    const shown = channels ?? Array.from({ length: c }, (_, i) => i);
    const maps = shown.map((i) => values.subarray(i * h * w, (i + 1) * h * w));
    return renderGrid(maps, h, w, { cmap: 'viridis', normalize: 'minmax', labels: shown.map(String) });
  }
  const k = values.length;
  const cols = Math.ceil(Math.sqrt(k));
  const rows = Math.ceil(k / cols);
  const block = new Float32Array(rows * cols).fill(NaN);
  block.set(values);
  return renderGrid([block], rows, cols, { cmap: 'viridis', normalize: 'minmax', targetTile: 192 });
}
