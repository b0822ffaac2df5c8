import type { EpochResult } from '../train/train.ts';

interface Series {
  name: string;
  colour: string;
  points: [number, number][];
}

const WIDTH = 380;
const HEIGHT = 240;
const LEFT = 52;
const RIGHT = 14;
const TOP = 40;
const BOTTOM = 40;
const TRAIN = '#3b6fb6';
const HELD_OUT = '#e07b1a';

/**
 * The loss and accuracy curves of a training run as one inline SVG: two panels, epochs along
 * x; training (epochs 1..E, the epoch's mean) in blue, held-out (epochs 0..E) in orange. Each
 * point carries its value as a tooltip.
 */
export function trainingChartSvg(history: readonly EpochResult[]): string {
  const pick = (key: keyof EpochResult) => history.filter((e) => Number.isFinite(e[key])).map((e): [number, number] => [e.epoch, e[key]]);
  const epochs = Math.max(1, ...history.map((e) => e.epoch));
  const loss = panel('loss (cross-entropy)', [
    { name: 'training', colour: TRAIN, points: pick('loss') },
    { name: 'held-out', colour: HELD_OUT, points: pick('heldOutLoss') },
  ], epochs, false);
  const accuracy = panel('accuracy', [
    { name: 'training', colour: TRAIN, points: pick('accuracy') },
    { name: 'held-out', colour: HELD_OUT, points: pick('heldOutAccuracy') },
  ], epochs, true);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * WIDTH}" height="${HEIGHT}" viewBox="0 0 ${2 * WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="11">
${loss}
<g transform="translate(${WIDTH} 0)">${accuracy}</g>
</svg>`;
}

function panel(title: string, series: Series[], epochs: number, percent: boolean): string {
  const values = series.flatMap((s) => s.points.map((p) => p[1]));
  const scale = percent ? accuracyScale(values) : lossScale(values);
  const x = (e: number) => LEFT + ((WIDTH - LEFT - RIGHT) * e) / epochs;
  const y = (v: number) => TOP + (HEIGHT - TOP - BOTTOM) * (1 - scale.at(v));
  const label = (v: number) => (percent ? `${Number((100 * v).toFixed(1))}%` : trim(v));
  const parts: string[] = [`<text x="${LEFT}" y="16" font-size="13" font-weight="600">${title}${scale.log ? ' (log scale)' : ''}</text>`];
  for (const v of scale.ticks) {
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${label(v)}</text>`);
  }
  const step = Math.max(1, Math.ceil(epochs / 10));
  for (let e = 0; e <= epochs; e += step) {
    parts.push(`<text x="${x(e).toFixed(1)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#555">${e}</text>`);
  }
  parts.push(`<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${HEIGHT - 6}" text-anchor="middle" fill="#555">epoch</text>`);
  series.forEach((s, i) => {
    const coords = s.points.map(([e, v]) => `${x(e).toFixed(1)},${y(v).toFixed(1)}`);
    if (coords.length > 1) parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${coords.join(' ')}"/>`);
    s.points.forEach(([e, v]) => parts.push(`<circle cx="${x(e).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.colour}"><title>${s.name}, epoch ${e}: ${percent ? `${(100 * v).toFixed(2)}%` : v.toFixed(4)}</title></circle>`));
    const lx = LEFT + i * 75;
    parts.push(`<rect x="${lx}" y="22" width="10" height="10" fill="${s.colour}"/><text x="${lx + 14}" y="31">${s.name}</text>`);
  });
  return parts.join('\n');
}

interface Scale {
  /** Where a value sits, 0 (bottom) to 1 (top). */
  at(v: number): number;
  ticks: number[];
  log: boolean;
}

/** From the lowest tenth below the lowest accuracy (at most 90%) to 100%, five ticks. */
function accuracyScale(values: number[]): Scale {
  const lo = Math.min(0.9, Math.floor(10 * Math.min(1, ...values)) / 10);
  return { at: (v) => (v - lo) / (1 - lo), ticks: [0, 1, 2, 3, 4].map((k) => lo + ((1 - lo) * k) / 4), log: false };
}

/**
 * Linear from 0, unless the losses span more than a factor of 20 (an untrained model's first
 * loss dwarfs the rest): then logarithmic between powers of ten, so that later epochs stay apart.
 */
function lossScale(values: number[]): Scale {
  const positive = values.filter((v) => v > 0);
  const max = Math.max(0, ...values);
  if (positive.length === values.length && positive.length > 0 && max / Math.min(...positive) > 20) {
    const lo = Math.floor(Math.log10(Math.min(...positive)));
    const hi = Math.ceil(Math.log10(max));
    const ticks = Array.from({ length: hi - lo + 1 }, (_, k) => 10 ** (lo + k));
    return { at: (v) => (Math.log10(v) - lo) / (hi - lo), ticks, log: true };
  }
  const top = niceCeiling(max);
  return { at: (v) => v / top, ticks: [0, 1, 2, 3, 4].map((k) => (top * k) / 4), log: false };
}

/** The smallest 1, 2 or 5 times a power of ten at or above v (1 for 0). */
function niceCeiling(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((c) => c >= v)!;
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}
