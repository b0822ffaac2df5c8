// bench/browser.ts's module worker: loads models from URLs and times their forward on a kernel
// set, all computation here as in the app. Messages in: { id, load: { key, url, shape } },
// { id, time: { key, set, runs, records } } (records: forward keeping every layer's record, as
// the app does, else predict); each answered with { id, result } or { id, error }.
import { Tensor, loadModel, prepareKernels, withKernels, defaultKernelSetName, threadedKernelSetName, type KernelSetName, type Model } from '../../src/index.ts';
import { seededInput } from '../seeded-input.ts';

const models = new Map<string, { model: Model; input: Tensor }>();

async function handle(message: { load?: { key: string; url: string; shape: number[] }; time?: { key: string; set: KernelSetName; runs: number; records: boolean } }): Promise<unknown> {
  if (message.load) {
    const { key, url, shape } = message.load;
    models.set(key, { model: await loadModel(url), input: seededInput(shape) });
    return { isolated: crossOriginIsolated, one: defaultKernelSetName(), threads: threadedKernelSetName() };
  }
  if (message.time) {
    const { key, set, runs, records } = message.time;
    const entry = models.get(key);
    if (!entry) throw new Error(`no model ${key}`);
    await prepareKernels(set);
    const times: number[] = [];
    let output: Float32Array = new Float32Array(0);
    withKernels(set, () => {
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        output = (records ? entry.model.forward(entry.input).output : entry.model.predict(entry.input)).data;
        times.push(performance.now() - start);
      }
    });
    return { times, output: Array.from(output) };
  }
  throw new Error('unknown message');
}

self.onmessage = async (event: MessageEvent) => {
  const { id, ...message } = event.data;
  try {
    self.postMessage({ id, result: await handle(message) });
  } catch (e) {
    self.postMessage({ id, error: (e as Error).message });
  }
};
