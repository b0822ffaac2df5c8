/**
 * The contract every convscope command keeps with its user (issue 9), as checks that return
 * what is wrong (an empty list when nothing is). Shared by the fuzz suite and the regressions.
 *
 * - A failure: a non-zero exit and stderr of ONE line, `convscope CMD: problem`; a usage error
 *   may be followed by the command's usage text (after the line, or after an empty line).
 * - A success: exit 0, and no NaN or Infinity in what was printed or written.
 * - Either way: no stack trace, no internal text, no hang, memory under the ceiling.
 */

export interface Outcome {
  /** The exit code; null when the process was killed. */
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
  /** Peak resident memory in bytes, where it was measured. */
  peakRss?: number;
}

export const MEMORY_CEILING = 2 ** 30;

// Text that only a bug prints: JavaScript error names, emscripten's abort, a stack frame,
// the atomic writer's temporary file, a library function's name used as a message prefix.
const INTERNAL_TEXT: [RegExp, string][] = [
  [/\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/, 'a JavaScript error name'],
  [/\bundefined\b/, "the word 'undefined'"],
  [/\bAborted\b/, "emscripten's 'Aborted'"],
  [/^\s*at .*(:\d+:\d+\)?|<anonymous>\)?|\(native\))$/m, 'a stack frame'],
  [/\.tmp\b/, 'a temporary .tmp path'],
  // right after `convscope CMD: ` (later, `inputShape: ` is a model.json key, which is fine)
  [/^convscope [\w-]+: [a-z]+[A-Z][A-Za-z0-9]*: /m, "a function's name as a prefix (like 'readImageTensor: ')"],
  [/^convscope ([\w-]+): \1: /, "a doubled prefix (like 'convscope gradcam: gradcam: ')"],
];

/** NaN or Infinity printed as a number. */
const NON_FINITE_TEXT = /\b(NaN|-?Infinity)\b/;

/**
 * What `text` shows that only a bug prints. A library message may start with its function's
 * name (`loadModel: expected ...`, as tfjs does); on the command line that name is internal.
 */
export function internalTextProblems(text: string, where: string, library = false): string[] {
  const checks = library ? INTERNAL_TEXT.filter(([, what]) => !what.includes('prefix')) : INTERNAL_TEXT;
  return checks.filter(([re]) => re.test(text)).map(([, what]) => `${where} shows ${what}`);
}

/** What is wrong with a failure's stderr: it must be one line, optionally followed by usage. */
export function failureLineProblems(stderr: string): string[] {
  const lines = stderr.replace(/\n+$/, '').split('\n');
  const first = lines[0] ?? '';
  const problems: string[] = [];
  if (!/^convscope( [\w-]+)?: \S/.test(first)) problems.push("stderr's first line is not 'convscope CMD: problem'");
  const rest = lines.slice(1);
  if (rest[0] === '') rest.shift();
  if (rest.length > 0 && !rest[0].startsWith('Usage: convscope')) problems.push('stderr has more than one line (and the rest is not the usage text)');
  return problems;
}

/** Checks an outcome against the contract; `expectSuccess` when the command must work. */
export function outcomeProblems(r: Outcome, expectSuccess?: boolean): string[] {
  const problems: string[] = [];
  if (r.timedOut) return ['no answer before the time limit (a hang)'];
  if (r.peakRss !== undefined && r.peakRss > MEMORY_CEILING) problems.push(`peak memory ${(r.peakRss / 2 ** 20).toFixed(0)} MiB is over 1 GiB`);
  if (r.status === null) return [...problems, 'the process was killed (a crash or the memory watchdog)'];
  problems.push(...internalTextProblems(r.stderr, 'stderr'), ...internalTextProblems(r.stdout, 'stdout'));
  if (r.status === 0) {
    // help text may mention NaN (--allow-nonfinite); a result may not
    const help = /^(Usage: convscope|convscope: see inside)/.test(r.stdout);
    if (!help && NON_FINITE_TEXT.test(r.stdout)) problems.push('succeeded but printed NaN or Infinity');
    if (expectSuccess === false) problems.push('succeeded but should have failed');
  } else {
    problems.push(...failureLineProblems(r.stderr));
    if (expectSuccess === true) problems.push(`failed (exit ${r.status}) but should have worked`);
  }
  return problems;
}

/** The non-finite values of a .npy file convscope wrote (always little-endian float32), or a problem. */
export function npyProblems(bytes: Uint8Array, name: string): string[] {
  const magic = '\x93NUMPY';
  if (bytes.length < 10 || [...magic].some((c, i) => bytes[i] !== c.charCodeAt(0))) return [`${name} is not a .npy file`];
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  if (!header.includes("'<f4'")) return [];
  const data = bytes.subarray(start + headerLength);
  for (let at = 0; at + 4 <= data.length; at += 4) {
    if (!Number.isFinite(view.getFloat32(data.byteOffset - bytes.byteOffset + at, true))) return [`${name} holds NaN or Infinity`];
  }
  return [];
}

/** One command line, quoted so that it can be pasted into a shell. */
export function commandLine(argv: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  return ['convscope', ...argv.map((a) => (a.length > 80 ? `${quote(a.slice(0, 40))}...(${a.length} chars)` : quote(a)))].join(' ');
}
