/** Where progress goes: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** A percentage on stderr, redrawn in place, only when stderr is a terminal. */
export function progressReporter(label: string, stream: ProgressStream = process.stderr): ((done: number, total: number) => void) & { finish(): void } {
  const tty = stream.isTTY === true;
  let last = -1;
  const report = (done: number, total: number) => {
    if (!tty) return;
    const pct = Math.floor((100 * done) / total);
    if (pct === last) return;
    last = pct;
    stream.write(`\r${label} ${pct}% (${done}/${total})`);
  };
  return Object.assign(report, {
    finish() {
      if (tty && last >= 0) stream.write('\n');
    },
  });
}
