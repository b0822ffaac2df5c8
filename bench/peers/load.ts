// Installs the peers on first use and loads each one that works. They weigh about 500 MB, so
// they are their own package (bench/peers/package.json and its lock file), never a dependency
// of convscope: `npm install` of the project does not fetch them, `npm run bench` does, once.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Peer } from './peer.ts';
import { loadTfjsWasm } from './tfjs-wasm.ts';
import { loadOnnxRuntime } from './onnxruntime.ts';

const PEERS_DIR = fileURLToPath(new URL('.', import.meta.url));

/** True when every dependency of bench/peers/package.json is in node_modules at the version it pins. */
function installed(): boolean {
  const manifest = JSON.parse(readFileSync(join(PEERS_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return Object.entries(manifest.dependencies).every(([name, version]) => {
    const file = join(PEERS_DIR, 'node_modules', name, 'package.json');
    return existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version === version;
  });
}

function install(log: (line: string) => void): boolean {
  if (installed()) return true;
  log('bench: installing the peers (tfjs-backend-wasm, onnxruntime-web, onnxruntime-node; about 500 MB) into bench/peers/node_modules with npm ci, once');
  const start = performance.now();
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: PEERS_DIR,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32',
    // onnxruntime-node's install script would download CUDA binaries; its CPU binaries are in
    // the npm package (bench/peers/.npmrc says the same for a plain `npm ci` there)
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (result.status !== 0 || !installed()) {
    const npmErrors = (result.stderr ?? '').split('\n').filter((l) => l.startsWith('npm error ')).map((l) => l.slice('npm error '.length));
    const why = result.error?.message ?? npmErrors.find((l) => !/^(code|syscall|errno|A complete log|\s)/.test(l)) ?? `npm ci exited with ${result.status}`;
    log(`bench: could not install the peers (${why}); going on without them`);
    return false;
  }
  log(`bench: peers installed in ${((performance.now() - start) / 1000).toFixed(0)} s`);
  return true;
}

// tfjs rejects with a plain { message } object, not an Error
function firstLine(e: unknown): string {
  const text = typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
  return text.split('\n')[0];
}

/** Installs the peers package when it is not yet; false (said in one line) when that fails. */
export function installPeers(log: (line: string) => void): boolean {
  return install(log);
}

/** Every peer that installs and loads; each one that does not is said in one line and left out. */
export async function loadPeers(log: (line: string) => void): Promise<Peer[]> {
  if (!install(log)) return [];
  const candidates: [string, () => Promise<Peer>][] = [
    ['tfjs-wasm', loadTfjsWasm],
    ['ort-web', () => loadOnnxRuntime('web', { threads: 1 })],
    ['ort-node', () => loadOnnxRuntime('node', { threads: 1 })],
    ['ort-node x2', () => loadOnnxRuntime('node', { threads: 2, kernels: ['max_pool2d_switches'] })],
  ];
  const peers: Peer[] = [];
  for (const [name, load] of candidates) {
    try {
      peers.push(await load());
    } catch (e) {
      log(`bench: ${name} could not be loaded (${firstLine(e)}); going on without it`);
    }
  }
  return peers;
}
