import type { Tensor } from '../tensor.ts';
import { Canvas, encodePng } from './png-output.ts';
import { evolutionGrid, type EvolutionGridKind } from './evolution-render.ts';
import { trainingChartSvg } from './evolution-chart.ts';
import { inputCanvas, besides } from '../methods/render.ts';
import { argumentError, describe } from '../check.ts';
import type { EvolutionSnapshot } from '../train/evolution.ts';
import type { BackwardMethod } from '../methods/backward-net.ts';
import type { EpochResult } from '../train/train.ts';

/** What the evolution page shows: the run, its per-epoch results and the snapshots of the base image. */
export interface EvolutionRun {
  modelName: string;
  /** One line on the data and the held-out split. */
  dataText: string;
  /** One line on the optimiser and its settings. */
  settingsText: string;
  /** The base image (C, H, W) and what it is. */
  baseImage: Tensor;
  baseText: string;
  history: readonly EpochResult[];
  snapshots: readonly EvolutionSnapshot[];
}

const METHOD_NAMES: Record<BackwardMethod, string> = { deconvnet: 'DeconvNet', salinet: 'SaliNet', desalinet: 'DeSaliNet', guided: 'guided backprop' };

function grids(snapshot: EvolutionSnapshot | undefined): { kind: EvolutionGridKind; title: string; text: string }[] {
  const method = METHOD_NAMES[snapshot?.method ?? 'deconvnet'];
  const what = snapshot?.unit === 'all' ? 'whole feature map' : 'strongest activation';
  return [
    { kind: 'featureMaps', title: 'feature maps', text: 'The base image\'s feature map of each channel; each tile min-max normalised on its own (viridis: dark purple low, yellow high).' },
    { kind: 'reconstructions', title: `${method} reconstructions`, text: `Each channel's ${what} projected back to the input by ${method}: the part of the image that drives it. Blue negative, white 0, red positive, each tile scaled on its own.` },
    { kind: 'filters', title: 'filters (kernel weights)', text: 'The learnt kernels themselves, one per channel: blue negative, white 0, red positive, each scaled on its own.' },
  ];
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A file name's safe form of a layer name ('block_1/conv' -> 'block_1_conv'). */
export function layerFileName(layer: string): string {
  return `evolution-${layer.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`;
}

/**
 * The files of the evolution output, by name: evolution.html (self-contained: its pictures are
 * inline) and one evolution-<layer>.png strip per watched layer (feature maps, reconstructions
 * and, for a first conv layer, filters, each with epochs as rows).
 */
export function evolutionFiles(run: EvolutionRun): Map<string, Uint8Array> {
  checkRun(run);
  const layers = run.snapshots[0]?.layers.map((l) => l.layer) ?? [];
  const files = new Map<string, Uint8Array>();
  const sections: string[] = [];
  for (const layer of layers) {
    const shown = grids(run.snapshots[0]).map((g) => ({ ...g, canvas: evolutionGrid(run.snapshots, layer, g.kind) })).filter((g) => g.canvas !== undefined);
    const strip = besides(shown.flatMap((g) => [titleCanvas(`${layer}: ${g.title}`), g.canvas!]), 6, true);
    files.set(layerFileName(layer), encodePng(strip));
    sections.push(`<section>
<h2>${escape(layer)}</h2>
${shown.map((g) => `<figure><figcaption><b>${escape(g.title)}</b>: ${escape(g.text)}</figcaption>${img(g.canvas!, `${layer} ${g.title}, rows epochs, columns channels`)}</figure>`).join('\n')}
<p class="note">The same grids as one picture: <a href="${escape(layerFileName(layer))}">${escape(layerFileName(layer))}</a>.</p>
</section>`);
  }
  files.set('evolution.html', new TextEncoder().encode(page(run, sections)));
  return files;
}

function page(run: EvolutionRun, sections: string[]): string {
  const last = run.history[run.history.length - 1];
  const rows = run.history.map((e) => `<tr><td>${e.epoch}</td><td>${num(e.loss)}</td><td>${pct(e.accuracy)}</td><td>${num(e.heldOutLoss)}</td><td>${pct(e.heldOutAccuracy)}</td><td>${e.epoch === 0 ? '' : e.seconds.toFixed(1)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Feature evolution: ${escape(run.modelName)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
figure { margin: 0 0 1.5em 0; overflow-x: auto; }
figure img { image-rendering: pixelated; border: 1px solid #ccc; display: block; margin-top: 0.4em; }
figcaption { font-size: 0.9em; color: #444; max-width: 60em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; } td, th { padding: 2px 10px; text-align: right; } th { border-bottom: 1px solid #aaa; }
.top { display: flex; gap: 2em; align-items: flex-start; flex-wrap: wrap; }
.note { font-size: 0.85em; color: #666; }
</style>
</head>
<body>
<h1>Feature evolution: ${escape(run.modelName)}</h1>
<p>${escape(run.dataText)}<br>${escape(run.settingsText)}<br>
After ${last.epoch} ${last.epoch === 1 ? 'epoch' : 'epochs'}: held-out accuracy ${pct(last.heldOutAccuracy)}, held-out loss ${num(last.heldOutLoss)}.</p>
<div class="top">
<figure><figcaption>The base image: ${escape(run.baseText)}</figcaption>${img(inputCanvas(run.baseImage, 4), 'the base image')}</figure>
<figure><figcaption>Loss and accuracy per epoch (epoch 0: before training)</figcaption>${trainingChartSvg(run.history)}</figure>
</div>
<table>
<tr><th>epoch</th><th>training loss</th><th>training accuracy</th><th>held-out loss</th><th>held-out accuracy</th><th>seconds</th></tr>
${rows}
</table>
<p>For each watched layer: rows are epochs (0: the weights before training), columns the layer's channels, all for the same base image.</p>
${sections.join('\n')}
</body>
</html>
`;
}

function img(canvas: Canvas, alt: string): string {
  return `<img src="data:image/png;base64,${base64(encodePng(canvas))}" width="${canvas.width}" height="${canvas.height}" alt="${escape(alt)}">`;
}

function titleCanvas(text: string): Canvas {
  const canvas = new Canvas(Math.max(1, text.length * 12), 20, [255, 255, 255]);
  canvas.drawText(text, 0, 2, [40, 40, 40], 2);
  return canvas;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function num(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : '';
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '';
}

function checkRun(run: EvolutionRun): void {
  if (typeof run !== 'object' || run === null || !Array.isArray(run.history) || run.history.length === 0 || !Array.isArray(run.snapshots)) {
    throw argumentError(`the evolution run must be { history: EpochResult[] (at least epoch 0), snapshots: EvolutionSnapshot[], ... }, not ${describe(run)}`);
  }
}
