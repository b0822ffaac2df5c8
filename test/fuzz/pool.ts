/**
 * Runs fuzz cases in a few long-lived children (test/fuzz/child.ts), each running case after
 * case; a case that hangs, crashes or goes over the memory ceiling gets its child killed and a
 * fresh one started for the next case. Cases marked `process` run as their own dist/cli.js.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../helpers/cli.ts';
import { MEMORY_CEILING, type Outcome } from '../helpers/cli-contract.ts';
import { runCliProcess, watchMemory } from '../helpers/cli-process.ts';
import { caseProblems, materialize, type FuzzCase } from './case.ts';
import type { CaseReply, CaseRequest } from './child.ts';

export interface CaseResult {
  fuzzCase: FuzzCase;
  outcomes: Outcome[];
  problems: string[];
}

class Runner {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private rawStderr = '';

  private start(): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    const child = fork(join(root, 'test', 'fuzz', 'child.ts'), [], { cwd: root, env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (this.rawStderr += s));
    this.child = child;
    return new Promise((resolve) => {
      child.once('message', () => resolve());
      child.once('exit', () => resolve());
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
    this.ready = undefined;
  }

  async run(request: CaseRequest, timeoutMs: number): Promise<Outcome[]> {
    this.ready ??= this.start();
    await this.ready;
    const child = this.child as ChildProcess;
    if (child.exitCode !== null || child.signalCode !== null) {
      this.stop();
      return [{ status: null, stdout: '', stderr: `the fuzz runner did not start:\n${this.rawStderr}` }];
    }
    this.rawStderr = '';
    return new Promise((resolve) => {
      let overMemory = 0;
      const memory = watchMemory(child, (peak) => (overMemory = peak));
      const finish = (outcomes: Outcome[], restart: boolean) => {
        clearTimeout(timer);
        memory.stop();
        child.off('message', onReply);
        child.off('exit', onExit);
        if (restart) this.stop();
        resolve(outcomes);
      };
      const onReply = (reply: CaseReply) => {
        if (reply.id !== request.id) return;
        const outcomes: Outcome[] = reply.steps.map((s) => ({ ...s }));
        const last = outcomes[outcomes.length - 1];
        last.stderr += this.rawStderr;
        last.peakRss = reply.maxRss;
        // maxRSS is a running maximum: past half the ceiling, a fresh runner measures the next case alone
        finish(outcomes, reply.maxRss > MEMORY_CEILING / 2 || last.status === null);
      };
      const onExit = (code: number | null, signal: string | null) => {
        const why = overMemory ? '' : `\n(the runner exited: code ${code}, signal ${signal})`;
        finish([{ status: null, stdout: '', stderr: this.rawStderr + why, peakRss: overMemory || undefined }], true);
      };
      const timer = setTimeout(() => finish([{ status: null, stdout: '', stderr: this.rawStderr, timedOut: true }], true), timeoutMs);
      child.on('message', onReply);
      child.on('exit', onExit);
      child.send(request);
    });
  }
}

async function runOne(c: FuzzCase, runner: Runner, timeoutMs: number): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), `convscope-fuzz-${c.category}-`));
  try {
    materialize(c, dir);
    let outcomes: Outcome[];
    if (c.process) {
      outcomes = [];
      for (const argv of c.steps) {
        const o = await runCliProcess(argv, { cwd: dir, timeoutMs });
        outcomes.push(o);
        if (o.status !== 0) break;
      }
    } else {
      outcomes = await runner.run({ id: c.id, dir, steps: c.steps }, timeoutMs);
    }
    return { fuzzCase: c, outcomes, problems: caseProblems(c, dir, outcomes) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every case on `size` runners; results come back in the cases' order. */
export async function runCases(cases: FuzzCase[], { size = 2, timeoutMs = 20_000 } = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const runners = Array.from({ length: size }, () => new Runner());
  await Promise.all(runners.map(async (runner) => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runOne(cases[i], runner, timeoutMs);
    }
    runner.stop();
  }));
  return results;
}
