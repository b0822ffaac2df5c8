// bench/browser.ts's page: starts the worker and exposes window.bench(message), which resolves
// with the worker's answer.
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const waiting = new Map<number, (answer: unknown) => void>();
let next = 0;
worker.onmessage = (event: MessageEvent) => {
  waiting.get(event.data.id)?.(event.data);
  waiting.delete(event.data.id);
};
Object.assign(window, {
  bench: (message: object) => new Promise((resolve) => {
    const id = next++;
    waiting.set(id, resolve);
    worker.postMessage({ id, ...message });
  }),
});
