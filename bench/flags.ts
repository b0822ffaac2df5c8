/**
 * A bench's command line: only the flags it names, each given or not; anything else is one line
 * on stderr and exit 2.
 */
export function benchFlags<F extends string>(bench: string, flags: readonly F[]): Record<F, boolean> {
  const args = process.argv.slice(2);
  const unknown = args.find((a) => !(flags as readonly string[]).includes(a));
  if (unknown !== undefined) {
    console.error(`${bench}: unknown argument ${unknown}; valid: ${flags.join(', ')}`);
    process.exit(2);
  }
  return Object.fromEntries(flags.map((f) => [f, args.includes(f)])) as Record<F, boolean>;
}
