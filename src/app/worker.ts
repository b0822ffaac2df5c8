// The app's worker: all computation happens here, so the page never freezes. It holds one
// Session (model, input, forward pass) and answers the page's requests (protocol.ts).
import { Session } from './session.ts';
import { mnistDigit } from './digit.ts';
import { setThreads, threadsState } from './threads.ts';
import { Tensor } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { readImageTensor } from '../io/image-input.ts';
import { modelInputFromBytes } from '../io/model-input.ts';
import type { Hello, InputRequest, Preprocessing, ReplyMessage, RequestMessage } from './protocol.ts';
import type { Picture } from './session.ts';

let session: Session | null = null;
let cancelCell: Int32Array | null = null;
let queue: Promise<void> = Promise.resolve();

class Cancelled extends Error {}

const post = (message: ReplyMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

function checkCancel(id: number): void {
  if (cancelCell !== null && Atomics.load(cancelCell, 0) === id) throw new Cancelled('cancelled');
}

function needSession(): Session {
  if (session === null) throw new ConvscopeError('E_ARGUMENT', 'no model loaded yet');
  return session;
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(new URL(url, self.location.href));
  } catch {
    throw new ConvscopeError('E_IO', `${what} ${url}: could not be fetched (the server is not reachable)`);
  }
  if (!response.ok) throw new ConvscopeError('E_IO', `${what} ${url}: the server answered ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

function preprocess(values: Float32Array, p: Preprocessing, channels: number): void {
  const plane = values.length / channels;
  for (let c = 0; c < channels; c++) {
    const mean = p.mean?.[p.mean.length === 1 ? 0 : c] ?? 0;
    const std = p.std?.[p.std.length === 1 ? 0 : c] ?? 1;
    for (let i = c * plane; i < (c + 1) * plane; i++) values[i] = (values[i] * p.scale - mean) / std;
  }
}

async function inputTensor(model: Session['model'], input: InputRequest, p: Preprocessing): Promise<Tensor> {
  const shape = model.inputShape;
  const options = { scale: p.scale, ...(p.mean ? { mean: p.mean } : {}), ...(p.std ? { std: p.std } : {}) };
  if (input.kind === 'drawing') {
    if (shape.length === 3 && shape[0] === 1 && shape[1] === 28 && shape[2] === 28) {
      const digit = mnistDigit(input.image);
      preprocess(digit, p, 1);
      return new Tensor([1, 28, 28], digit);
    }
    if (shape.length !== 3 || (shape[0] !== 1 && shape[0] !== 3)) throw new ConvscopeError('E_SHAPE', `the model takes ${shape.join('x')} inputs, not images`);
    return readImageTensor(input.image, { channels: shape[0] as 1 | 3, height: shape[1], width: shape[2], ...options, name: 'the drawing' });
  }
  const bytes = input.kind === 'bytes' ? new Uint8Array(input.bytes) : await fetchBytes(input.url, 'image');
  const name = input.kind === 'bytes' ? input.name : input.url.split('/').at(-1) ?? 'image';
  const { batch } = model.toBatch(modelInputFromBytes(bytes, shape, { ...options, name }));
  if (batch.shape[0] !== 1) throw new ConvscopeError('E_SHAPE', `${name} holds a batch of ${batch.shape[0]} inputs; the app takes one`);
  return batch.reshape(shape);
}

/** The model's input range under this preprocessing (for activation maximisation). */
function inputRange(p: Preprocessing): [number, number] {
  const ends = [0, 255].flatMap((v) => (p.mean ?? [0]).flatMap((m, c) => ((v * p.scale - m) / (p.std?.[p.std.length === 1 ? 0 : c] ?? 1))));
  return [Math.min(...ends), Math.max(...ends)];
}

let preprocessing: Preprocessing = { scale: 1 };

async function handle(message: RequestMessage): Promise<{ result: unknown; transfer?: Transferable[] }> {
  switch (message.type) {
    case 'open': {
      const { model } = message;
      session = model.kind === 'url'
        ? await Session.open(new URL(model.url, self.location.href), model.url.split('/').at(-1))
        : await Session.open({ files: model.files }, model.name);
      return { result: { ...session.info(), ...threadsState() } };
    }
    case 'input': {
      const s = needSession();
      const x = await inputTensor(s.model, message.input, message.preprocessing);
      preprocessing = message.preprocessing;
      return { result: s.setInput(x) };
    }
    case 'maps':
      return { result: needSession().maps(message.layer) };
    case 'backward':
      return { result: needSession().backward(message.layer, message.channel, message.unit) };
    case 'occlusion': {
      const { id, type: _, ...options } = message;
      let last = 0;
      return {
        result: needSession().occlusion(options, (done, total) => {
          checkCancel(id);
          const now = performance.now();
          if (now - last > 50 || done === total) {
            last = now;
            post({ id, progress: { done, total } });
          }
        }),
      };
    }
    case 'gradcam':
      return { result: needSession().gradCam(message.layer, message.target) };
    case 'maximize': {
      const { id } = message;
      const every = Math.max(1, Math.round(message.iterations / 40));
      return {
        result: needSession().maximize(message.layer, message.channel, message.iterations, inputRange(preprocessing), every, (done, total, image: Picture) => {
          checkCancel(id);
          post({ id, progress: { done, total, image } });
        }),
      };
    }
    case 'threads':
      return { result: await setThreads(message.count) };
  }
}

function errorText(e: unknown): string {
  if (e instanceof ConvscopeError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

self.onmessage = (event: MessageEvent<RequestMessage | Hello>) => {
  const message = event.data;
  if (message.type === 'hello') {
    cancelCell = message.cancel ? new Int32Array(message.cancel) : null;
    return;
  }
  queue = queue.then(async () => {
    try {
      const { result } = await handle(message);
      post({ id: message.id, ok: true, result });
    } catch (e) {
      post({ id: message.id, ok: false, error: e instanceof Cancelled ? 'cancelled' : errorText(e), cancelled: e instanceof Cancelled });
    }
  });
};
