import { mkdirSync, mkdtempSync, renameSync, rmSync, readdirSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import type { Report } from '../methods/report.ts';
import { encodePng } from './png-output.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { argumentError, describe } from '../check.ts';

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function reportHtml(report: Report): string {
  const rows = report.prediction.map((p) => `<tr><td>class ${p.cls}</td><td><div class="bar" style="width:${Math.max(0, Math.min(1, p.value)) * 200}px"></div></td><td>${p.value.toFixed(4)}</td></tr>`).join('\n');
  const sections = report.sections.map((s) => `
<section>
<h2>${escape(s.title)}</h2>
${s.text ? `<p>${escape(s.text)}</p>` : ''}
${s.figures.map((f) => `<figure><img src="${escape(f.file)}" width="${f.canvas.width}" height="${f.canvas.height}" alt="${escape(f.caption)}"><figcaption>${escape(f.caption)}</figcaption></figure>`).join('\n')}
</section>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(report.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
figure { display: inline-block; vertical-align: top; margin: 0 1.5em 1.5em 0; max-width: 100%; }
figure img { image-rendering: pixelated; border: 1px solid #ccc; max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; max-width: 420px; color: #444; }
table { border-collapse: collapse; } td { padding: 2px 8px; }
.bar { height: 12px; background: #3b528b; }
</style>
</head>
<body>
<h1>${escape(report.title)}</h1>
<h2>Prediction</h2>
<table>
${rows}
</table>
${sections}
</body>
</html>
`;
}

/**
 * Writes DIR/index.html and its pictures. They are written into a new folder beside DIR first
 * and moved in only when all are done, index.html last, so a failed run leaves no half report.
 */
export function writeReport(report: Report, dir: string): void {
  if (typeof report !== 'object' || report === null || !Array.isArray(report.sections) || !Array.isArray(report.prediction)) {
    throw argumentError(`the report must be what buildReport returns, not ${describe(report)}`);
  }
  if (typeof dir !== 'string' || dir === '') throw argumentError(`the report folder must be given as a path, not ${describe(dir)}`);
  const target = resolve(dir);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    for (const s of report.sections) for (const f of s.figures) writeFileAtomic(join(staging, f.file), encodePng(f.canvas));
    writeFileAtomic(join(staging, 'index.html'), reportHtml(report));
    mkdirSync(target, { recursive: true });
    const files = readdirSync(staging).filter((f) => f !== 'index.html');
    for (const f of files) renameSync(join(staging, f), join(target, f));
    renameSync(join(staging, 'index.html'), join(target, 'index.html'));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
