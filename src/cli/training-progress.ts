import type { BatchProgress } from '../train/train.ts';
import type { ProgressStream } from './progress.ts';

/**
 * Training progress on stderr: epoch, batch, the epoch's mean loss so far, images per second and
 * the time left, once per tenth of an epoch (and at its last batch). On a terminal the line is
 * redrawn in place after every batch and ends when the epoch does.
 */
export function trainingProgress(epochs: number, samples: number, batchSize: number, stream: ProgressStream = process.stderr) {
  const tty = stream.isTTY === true;
  let open = false;
  return {
    batch(p: BatchProgress): void {
      const group = Math.max(1, Math.round(p.batches / 10));
      if (!tty && p.batch % group !== 0 && p.batch !== p.batches) return;
      const left = (p.batches - p.batch) * batchSize + (p.epochs - p.epoch) * samples;
      const line = `epoch ${p.epoch}/${epochs} batch ${p.batch}/${p.batches}: loss ${p.loss.toFixed(4)}, ${Math.round(p.imagesPerSecond)} img/s, ETA ${clock(left / p.imagesPerSecond)}`;
      stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      open = tty;
    },
    /** Ends the redrawn line before the epoch's summary. */
    epochDone(): void {
      if (open) stream.write('\n');
      open = false;
    },
  };
}

/** Seconds as m:ss (or h:mm:ss). */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return hms[0] > 0 ? `${hms[0]}:${String(hms[1]).padStart(2, '0')}:${String(hms[2]).padStart(2, '0')}` : `${hms[1]}:${String(hms[2]).padStart(2, '0')}`;
}
