import { spawn, type ChildProcess } from 'node:child_process';

export interface ServeProcess {
  /** The address serve printed. */
  url: string;
  /** Sends Ctrl-C's signal; resolves to serve's exit code. */
  stop(): Promise<number | null>;
}

const running: ChildProcess[] = [];

/**
 * `convscope serve ARGS --port 0` as a user runs it, `entry` being node's arguments before the
 * command (the built CLI, or tsx and the sources): once it prints its address.
 */
export async function startServe(entry: string[], args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...entry, 'serve', ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no address in 60 s: ${err}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const printed = /^convscope app: (\S+)$/m.exec(out);
      if (printed) {
        clearTimeout(timer);
        resolve(printed[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { url, stop: () => new Promise((done) => { child.once('exit', (code) => done(code)); child.kill('SIGINT'); }) };
}

/** Ends every serve still running (a failed test's), so the test process can exit. */
export function killServes(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
