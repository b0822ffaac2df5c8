import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../methods/report.ts';
import { reportFiles } from '../io/html-report.ts';
import { checkString } from '../check.ts';
import { checkOutputTarget, writeOutputs } from './output-set.ts';

/** The file every report folder holds; a folder with it may be replaced by a new report. */
export const REPORT_MARKER = 'index.html';

/**
 * Writes DIR/index.html and its pictures. They are written into a new folder beside DIR that
 * replaces DIR whole once all are done, so a failed run leaves no half report. DIR's parent must
 * exist (none is created); an existing DIR is replaced only when it is empty or a report (it
 * holds index.html).
 */
export function writeReport(report: Report, dir: string): void {
  checkString(dir, 'the report folder');
  checkOutputTarget(dir, REPORT_MARKER);
  const files = reportFiles(report);
  writeOutputs((set) => set.folder(dir, (staging) => {
    for (const [name, bytes] of files) writeFileSync(join(staging, name), bytes);
  }));
}
