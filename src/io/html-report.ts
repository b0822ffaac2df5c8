import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../methods/report.ts';
import { encodePng } from './png-output.ts';
import { checkOutputTarget, writeOutputs } from './output-set.ts';

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
 * Writes DIR/index.html and its pictures. They are written into a new folder beside DIR that
 * replaces DIR whole once all are done, so a failed run leaves no half report. DIR's parent must
 * exist; an existing DIR is replaced only when it is empty or a report (it holds index.html).
 */
export function writeReport(report: Report, dir: string): void {
  checkOutputTarget(dir, REPORT_MARKER);
  writeOutputs((set) => set.folder(dir, (staging) => {
    for (const s of report.sections) for (const f of s.figures) writeFileSync(join(staging, f.file), encodePng(f.canvas));
    writeFileSync(join(staging, REPORT_MARKER), reportHtml(report));
  }));
}

/** The file every report folder holds; a folder with it may be replaced by a new report. */
export const REPORT_MARKER = 'index.html';
