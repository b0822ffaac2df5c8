/** A percentage on stderr, redrawn in place, only when stderr is a terminal. */
export function progressReporter(label: string): ((done: number, total: number) => void) & { finish(): void } {
  const tty = process.stderr.isTTY === true;
  let last = -1;
  const report = (done: number, total: number) => {
    if (!tty) return;
    const pct = Math.floor((100 * done) / total);
    if (pct === last) return;
    last = pct;
    process.stderr.write(`\r${label} ${pct}% (${done}/${total})`);
  };
  return Object.assign(report, {
    finish() {
      if (tty && last >= 0) process.stderr.write('\n');
    },
  });
}
