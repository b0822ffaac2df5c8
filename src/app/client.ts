// The page's side of the worker: requests as promises, progress as callbacks, and cancel. On a
// cross-origin isolated page a cancel is a write into a shared cell the worker checks between
// steps; elsewhere the worker is replaced by a fresh one, which is given the model and the input
// again.
import type { Hello, Progress, ReplyMessage, RequestType, Requests } from './protocol.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: Progress) => void;
}

export class CancelledError extends Error {}

export class WorkerClient {
  private worker!: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly cancelCell = typeof SharedArrayBuffer !== 'undefined' && crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
  /** The requests that set the worker's state (model, input, threads), replayed into a replacement worker. */
  private readonly state = new Map<RequestType, { type: RequestType; body: object }>();

  constructor(private readonly url: URL) {
    this.start();
  }

  private start(): void {
    this.worker = new Worker(this.url, { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<ReplyMessage>) => this.receive(event.data);
    this.worker.onerror = (event) => {
      const error = new Error(`the worker failed: ${event.message || 'it could not start (is the page served over http?)'}`);
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    this.worker.postMessage({ type: 'hello', cancel: this.cancelCell ? (this.cancelCell.buffer as SharedArrayBuffer) : null } satisfies Hello);
  }

  private receive(message: ReplyMessage): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if ('progress' in message) {
      pending.onProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(message.cancelled ? new CancelledError('cancelled') : new Error(message.error));
  }

  /** The id of the request most recently sent (for cancel). */
  lastId = 0;

  request<K extends RequestType>(type: K, body: Requests[K]['request'], onProgress?: (progress: Progress) => void): Promise<Requests[K]['reply']> {
    const id = this.nextId++;
    this.lastId = id;
    if (type === 'open' || type === 'input' || type === 'threads') {
      if (type === 'open') this.state.delete('input');
      this.state.set(type, { type, body });
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onProgress });
      // ArrayBuffers are copied, not transferred: the replay above may need them again.
      this.worker.postMessage({ id, type, ...body });
    });
  }

  cancel(id: number): void {
    if (!this.pending.has(id)) return;
    if (this.cancelCell) {
      Atomics.store(this.cancelCell, 0, id);
      return;
    }
    this.worker.terminate();
    for (const [pendingId, pending] of this.pending) pending.reject(pendingId === id ? new CancelledError('cancelled') : new Error('the worker was restarted'));
    this.pending.clear();
    this.start();
    for (const type of ['open', 'threads', 'input'] as const) {
      const saved = this.state.get(type);
      if (saved) void this.request(type, saved.body as never).catch(() => undefined);
    }
  }
}
