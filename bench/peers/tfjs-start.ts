// Starts tfjs-backend-wasm as every tfjs peer of the bench runs it: the SIMD build, one thread.
// tfjs picks its build from feature tests; pointing the other two builds at a missing file makes
// "SIMD build, one thread" something the start proves rather than assumes. Once per process:
// tfjs keeps the backend, and a second setWasmPaths would be refused.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { importPeer } from './peer.ts';

export const SIMD_BUILD = 'tfjs-backend-wasm-simd.wasm';

interface TfStart {
  version_core: string;
  setBackend(name: string): Promise<boolean>;
  getBackend(): string;
}

interface TfBackendWasm {
  version_wasm: string;
  setWasmPaths(files: Record<string, string>): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

let started: Promise<{ tf: unknown; version: string }> | undefined;

/** tfjs-core on the wasm backend's SIMD build, one thread; `version` names both packages. Each caller declares the part of tfjs-core it uses as T. */
export async function startTfjsWasm<T>(): Promise<{ tf: T; version: string }> {
  started ??= (async () => {
    const tf = await importPeer<TfStart>('@tensorflow/tfjs-core');
    const backend = await importPeer<TfBackendWasm>('@tensorflow/tfjs-backend-wasm');
    const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    const missing = join(dist, 'not-the-simd-build.wasm');
    backend.setWasmPaths({ 'tfjs-backend-wasm.wasm': missing, 'tfjs-backend-wasm-threaded-simd.wasm': missing, [SIMD_BUILD]: join(dist, SIMD_BUILD) });
    backend.setThreadsCount(1);
    if (!(await tf.setBackend('wasm')) || tf.getBackend() !== 'wasm') throw new Error('tf.setBackend("wasm") failed');
    if (backend.getThreadsCount() !== 1) throw new Error(`tfjs-backend-wasm runs ${backend.getThreadsCount()} threads, not 1`);
    return { tf, version: `tfjs-backend-wasm ${backend.version_wasm} (tfjs-core ${tf.version_core})` };
  })();
  const { tf, version } = await started;
  return { tf: tf as T, version };
}
