const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (e) => {
  document.getElementById('app')!.textContent = JSON.stringify(e.data);
};
