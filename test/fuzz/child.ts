// A long-lived fuzz runner: imports the CLI once and runs case after case for the parent
// (test/fuzz/pool.ts), so that a case costs milliseconds instead of a Node start. It captures
// what each case prints, and reports its peak memory (a running maximum) over IPC.
import { runCli } from '../../src/cli/run.ts';

export interface CaseRequest {
  id: string;
  dir: string;
  steps: string[][];
}

export interface StepReply {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CaseReply {
  id: string;
  steps: StepReply[];
  maxRss: number;
}

let stdout = '';
let stderr = '';
let current: CaseRequest | undefined;

function capture(append: (s: string) => void): typeof process.stdout.write {
  return ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = rest.find((r): r is () => void => typeof r === 'function');
    done?.();
    return true;
  }) as typeof process.stdout.write;
}

function reply(message: CaseReply, then: () => void = () => {}): void {
  process.send?.(message, then);
}

// What escapes runCli is a crash of the case: reported with its stack, then this runner exits
// and the parent starts a fresh one.
function crash(error: unknown): void {
  const text = error instanceof Error ? `${error.stack}` : String(error);
  reply({ id: current?.id ?? '?', steps: [{ status: null, stdout, stderr: stderr + text }], maxRss: process.resourceUsage().maxRSS * 1024 }, () => process.exit(70));
}

async function runCase(request: CaseRequest): Promise<void> {
  current = request;
  const steps: StepReply[] = [];
  for (const argv of request.steps) {
    stdout = '';
    stderr = '';
    process.chdir(request.dir);
    let status: number | null;
    try {
      status = await runCli(argv);
    } catch (error) {
      status = null;
      stderr += error instanceof Error ? `${error.stack}` : String(error);
    }
    steps.push({ status, stdout, stderr });
    if (status !== 0) break;
  }
  current = undefined;
  reply({ id: request.id, steps, maxRss: process.resourceUsage().maxRSS * 1024 });
}

// Only as a forked runner: a test runner that loads this file by its name must not lose its stdout.
if (process.send) {
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (request: CaseRequest) => void runCase(request));
  process.send({ ready: true });
}
