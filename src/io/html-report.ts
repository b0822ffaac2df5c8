import type { Report } from '../methods/report.ts';
import { encodePng } from './png-output.ts';
import { argumentError, describe } from '../check.ts';

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function checkReport(report: Report): void {
  if (typeof report !== 'object' || report === null || !Array.isArray(report.sections) || !Array.isArray(report.prediction)) {
    throw argumentError(`the report must be what buildReport returns, not ${describe(report)}`);
  }
}

export function reportHtml(report: Report): string {
  checkReport(report);
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
.app { background: #f2f4f8; padding: 0.6em 0.9em; border-radius: 4px; }
code { font-size: 0.95em; }
</style>
</head>
<body>
<h1>${escape(report.title)}</h1>
${report.app ? `<p class="app">Explore in the browser: run <code>${escape(report.app.command)}</code> and open <a href="${escape(report.app.url)}">${escape(report.app.url)}</a>.</p>` : ''}
<h2>Prediction</h2>
<table>
${rows}
</table>
${sections}
</body>
</html>
`;
}

/** The report's files by name: its pictures (PNG) and index.html, last. */
export function reportFiles(report: Report): Map<string, Uint8Array> {
  checkReport(report);
  const files = new Map<string, Uint8Array>();
  for (const s of report.sections) for (const f of s.figures) files.set(f.file, encodePng(f.canvas));
  files.set('index.html', new TextEncoder().encode(reportHtml(report)));
  return files;
}
