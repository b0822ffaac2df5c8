import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { ConvscopeError } from '../errors.ts';

/**
 * A static file server for the browser app (dist/app), on Node's own http. Every response carries
 * the cross-origin isolation headers (COOP same-origin, COEP require-corp), which give the page
 * SharedArrayBuffer and so the two-thread kernels. `mounts` adds files outside the root by URL
 * path (the model and image given on the command line, say). Only GET and HEAD; nothing outside
 * the root or the mounts is ever read.
 */
export interface AppServerOptions {
  /** The folder served at `/`. */
  root: string;
  /** Default 127.0.0.1: loopback only. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Extra files by their URL path as the page names them, decoded ('/files/my photo.png' → a path). */
  mounts?: Record<string, string>;
  /** Default true: send the cross-origin isolation headers. False serves as a plain static host would (one thread). */
  isolated?: boolean;
}

export interface AppServer {
  /** The page's URL, as http://host:port/. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.npy': 'application/octet-stream',
};

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** A URL path decoded ('%20' → ' '), or null when it does not decode or holds a NUL. */
function decodePath(urlPath: string): string | null {
  try {
    const decoded = decodeURIComponent(urlPath);
    return decoded.includes('\0') ? null : decoded;
  } catch {
    return null;
  }
}

/** The file a decoded URL path names under root, or null when it leaves root. */
function resolveUnder(root: string, decoded: string): string | null {
  const path = normalize(join(root, decoded));
  const base = normalize(root.endsWith(sep) ? root : root + sep);
  if (path !== normalize(root) && !path.startsWith(base)) return null;
  return path;
}

/** The file a URL path names: a mount, or a file under root (index.html for a folder). */
async function fileFor(options: AppServerOptions, urlPath: string): Promise<string | null> {
  const decoded = decodePath(urlPath);
  if (decoded === null) return null;
  const mounted = options.mounts?.[decoded];
  if (mounted !== undefined) return mounted;
  const path = resolveUnder(options.root, decoded);
  if (path === null) return null;
  try {
    const info = await stat(path);
    if (info.isDirectory()) return join(path, 'index.html');
    return info.isFile() ? path : null;
  } catch {
    return null;
  }
}

async function respond(options: AppServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (options.isolated !== false) {
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
  }
  res.setHeader('Cache-Control', 'no-cache');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('only GET and HEAD\n');
    return;
  }
  const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
  const file = await fileFor(options, urlPath);
  let body: Buffer | null = null;
  if (file !== null) {
    try {
      body = await readFile(file);
    } catch {
      body = null;
    }
  }
  if (body === null || file === null) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${urlPath}\n`);
    return;
  }
  res.writeHead(200, { 'Content-Type': contentType(file), 'Content-Length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Starts serving; resolves once the port is bound (E_ARGUMENT naming the address if it cannot be). */
export function serveApp(options: AppServerOptions): Promise<AppServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    respond(options, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the port is in use; choose another with --port' : e.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : e.code === 'EACCES' ? 'not allowed (ports below 1024 need privileges)' : e.message;
      reject(new ConvscopeError('E_ARGUMENT', `cannot serve on ${host}:${options.port ?? 8080}: ${why}`));
    });
    server.listen(options.port ?? 8080, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080);
      const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      resolve({
        url: `http://${shown}:${port}/`,
        port,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
