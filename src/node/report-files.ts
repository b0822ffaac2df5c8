import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import type { Report } from '../methods/report.ts';
import { reportFiles } from '../io/html-report.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { checkString } from '../check.ts';

/**
 * Writes DIR/index.html and its pictures. They are written into a new folder beside DIR first
 * and moved in only when all are done, index.html last, so a failed run leaves no half report.
 */
export function writeReport(report: Report, dir: string): void {
  checkString(dir, 'the report folder');
  const target = resolve(dir);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    const files = reportFiles(report);
    for (const [name, bytes] of files) writeFileAtomic(join(staging, name), bytes);
    mkdirSync(target, { recursive: true });
    for (const name of files.keys()) renameSync(join(staging, name), join(target, name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
