import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './cli.ts';
import { MEMORY_CEILING, type Outcome } from './cli-contract.ts';

export const distCli = join(root, 'dist', 'cli.js');

/** The peak resident memory of a live process in bytes (Linux), or undefined where unknown. */
export function peakRssOf(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Polls a child's peak memory and kills it past the ceiling, so that a runaway case is recorded
 * (and the machine kept alive) instead of growing to many gigabytes. Returns a stop function
 * and the highest peak seen.
 */
export function watchMemory(child: ChildProcess, onOver: (peak: number) => void, ceiling = MEMORY_CEILING): { stop(): void; peak(): number } {
  let peak = 0;
  const poll = () => {
    if (child.pid === undefined) return;
    const now = peakRssOf(child.pid);
    if (now === undefined) return;
    peak = Math.max(peak, now);
    if (now > ceiling) {
      clearInterval(timer);
      child.kill('SIGKILL');
      onOver(now);
    }
  };
  const timer = setInterval(poll, 50);
  return { stop: () => { poll(); clearInterval(timer); }, peak: () => peak };
}

export interface ProcessOptions {
  cwd: string;
  timeoutMs?: number;
  /** 'ignore' gives the CLI a closed stdin (/dev/null). */
  stdin?: 'ignore' | 'pipe';
}

/** Runs the built CLI (dist/cli.js) as its own process, with a time limit and the memory watchdog. */
export function runCliProcess(args: string[], { cwd, timeoutMs = 20_000, stdin = 'ignore' }: ProcessOptions): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [distCli, ...args], { cwd, env, stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let overMemory = false;
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const memory = watchMemory(child, () => (overMemory = true));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      memory.stop();
      const peakRss = overMemory ? Math.max(memory.peak(), MEMORY_CEILING + 1) : memory.peak() || undefined;
      resolve({ status, stdout, stderr, timedOut, peakRss });
    });
  });
}
