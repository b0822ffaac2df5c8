// The app's page: wires the controls to the worker (client.ts) and shows what comes back. It
// starts on the shipped MNIST CNN; `?model=URL&image=URL&threads=2&scale=&mean=&std=` opens others (convscope serve
// prints such a URL).
import { WorkerClient } from './client.ts';
import { sortFiles } from './files.ts';
import type { InputRequest, ModelRequest, Preprocessing } from './protocol.ts';
import type { ModelInfo } from './session.ts';
import { byId, clear, h } from './ui/dom.ts';
import { DrawPad } from './ui/draw-pad.ts';
import { drawPicture } from './ui/picture.ts';
import { renderPredictions } from './ui/predictions.ts';
import { renderGraph } from './ui/graph-view.ts';
import { MapsView } from './ui/maps-view.ts';
import { OcclusionView } from './ui/occlusion-view.ts';
import { GradCamView } from './ui/gradcam-view.ts';
import { MaximizeView } from './ui/maximize-view.ts';
import { errorMessage, type AppContext } from './ui/context.ts';

const SHIPPED_MODEL = 'models/mnist-cnn/model.json';
const TABS = ['maps', 'occlusion', 'gradcam', 'maximize'] as const;
type Tab = (typeof TABS)[number];

/** What the browser tests read (window.convscopeApp). */
interface TestHook {
  ready: boolean;
  busy: number;
  errors: string[];
  prediction: number[] | null;
  forwardMs: number[];
  /** From sending an input to its bars on screen, ms. */
  roundTripMs: number[];
  kernels: string;
  model: string;
  results: Record<string, unknown>;
}

const hook: TestHook = { ready: false, busy: 0, errors: [], prediction: null, forwardMs: [], roundTripMs: [], kernels: '', model: '', results: {} };
(globalThis as { convscopeApp?: TestHook }).convscopeApp = hook;

const client = new WorkerClient(new URL('./worker.js', import.meta.url));
let info: ModelInfo | null = null;
let predicted: number | null = null;
let selectedLayer: string | null = null;
let tab: Tab = 'maps';

const errorLine = byId('error');
const status = byId('status');

function showError(message: string | null): void {
  errorLine.hidden = message === null;
  errorLine.textContent = message ? message.split('\n')[0] : '';
  if (message) hook.errors.push(message);
}

function setStatus(text: string): void {
  status.textContent = text;
}

const context: AppContext = {
  client,
  model: () => info,
  predicted: () => predicted,
  error: showError,
  expose: (name, value) => {
    hook.results[name] = value;
  },
};

const mapsView = new MapsView(byId('view-maps'), context);
const occlusionView = new OcclusionView(byId('view-occlusion'), context);
const gradCamView = new GradCamView(byId('view-gradcam'), context);
const maximizeView = new MaximizeView(byId('view-maximize'), context);

/** Counts a request in flight for the tests' "busy" flag. */
async function tracked<T>(work: Promise<T>): Promise<T> {
  hook.busy++;
  try {
    return await work;
  } finally {
    hook.busy--;
  }
}

// ---- input ----

function preprocessing(): Preprocessing {
  const list = (id: string) => {
    const text = (byId<HTMLInputElement>(id).value ?? '').trim();
    return text === '' ? undefined : text.split(/[\s,]+/).map(Number);
  };
  return { scale: Number(byId<HTMLInputElement>('prep-scale').value || '1'), mean: list('prep-mean'), std: list('prep-std') };
}

let inFlight = false;
let pending: InputRequest | null = null;

/** Sends an input; while one is on its way, only the latest waiting one is kept (drawing sends many). */
function sendInput(input: InputRequest): void {
  pending = input;
  if (!inFlight) void drain();
}

async function drain(): Promise<void> {
  while (pending !== null) {
    const input = pending;
    pending = null;
    inFlight = true;
    const sent = performance.now();
    try {
      const result = await tracked(client.request('input', { input, preprocessing: preprocessing() }));
      showError(null);
      hook.prediction = result.probabilities;
      hook.forwardMs.push(result.ms);
      predicted = result.probabilities.indexOf(Math.max(...result.probabilities));
      renderPredictions(byId('predictions'), result.probabilities);
      byId('forward-ms').textContent = `forward ${result.ms.toFixed(1)} ms`;
      drawPicture(byId<HTMLCanvasElement>('model-input'), result.input);
      hook.roundTripMs.push(performance.now() - sent);
      if (pending === null) await refreshViews();
    } catch (e) {
      showError(errorMessage(e));
    } finally {
      inFlight = false;
    }
  }
}

const pad = new DrawPad(() => {
  if (!info || info.inputShape.length !== 3) return;
  lastImage = { kind: 'drawing', image: pad.pixels() };
  sendInput(lastImage);
});
byId('pad-holder').appendChild(pad.canvas);
byId('clear').addEventListener('click', () => {
  pad.clear();
  sendInput({ kind: 'drawing', image: pad.pixels() });
});

function loadExample(file: string): void {
  const image = new Image();
  image.onload = () => pad.show(image);
  image.src = file;
  sendInput({ kind: 'url', url: file });
}
byId('digit-2').addEventListener('click', () => loadExample('examples/digit-2.png'));
byId('digit-7').addEventListener('click', () => loadExample('examples/digit-7.png'));
for (const id of ['prep-scale', 'prep-mean', 'prep-std']) {
  byId(id).addEventListener('change', () => lastImage && sendInput(lastImage));
}

let lastImage: InputRequest | null = null;

function showImageOnPad(bytes: ArrayBuffer, name: string): void {
  if (name.toLowerCase().endsWith('.npy')) return;
  const url = URL.createObjectURL(new Blob([bytes]));
  const image = new Image();
  image.onload = () => {
    pad.show(image);
    URL.revokeObjectURL(url);
  };
  image.src = url;
}

// ---- views ----

function selectTab(next: Tab): void {
  tab = next;
  for (const name of TABS) {
    byId(`tab-${name}`).classList.toggle('on', name === tab);
    byId(`tab-${name}`).setAttribute('aria-selected', String(name === tab));
    byId(`view-${name}`).hidden = name !== tab;
  }
  void refreshViews();
}
for (const name of TABS) byId(`tab-${name}`).addEventListener('click', () => selectTab(name));

async function refreshViews(): Promise<void> {
  if (!info || hook.prediction === null) return;
  if (tab === 'maps' && selectedLayer) await tracked(mapsView.show(selectedLayer));
  if (tab === 'gradcam') await tracked(gradCamView.run());
}

function renderGraphView(): void {
  if (!info) return;
  clear(byId('graph'), renderGraph(info.nodes, selectedLayer, (name) => {
    selectedLayer = name;
    renderGraphView();
    if (tab !== 'maps') selectTab('maps');
    else void refreshViews();
  }));
}

// ---- model ----

async function openModel(model: ModelRequest, image: InputRequest | null): Promise<void> {
  setStatus(`opening ${model.kind === 'url' ? model.url : model.name}…`);
  try {
    const opened = await tracked(client.request('open', { model }));
    info = opened;
    hook.model = opened.name;
    hook.kernels = opened.kernels;
    predicted = null;
    hook.prediction = null;
    showError(null);
    byId('model-name').textContent = opened.name;
    byId('model-detail').textContent = `${opened.nodes.length} layers · ${opened.paramCount.toLocaleString('en')} parameters · input ${opened.inputShape.join('×')}`;
    const conv = opened.nodes.find((n) => n.maps && /conv/i.test(n.type)) ?? opened.nodes.find((n) => n.maps);
    selectedLayer = conv?.name ?? null;
    renderGraphView();
    occlusionView.reset();
    gradCamView.reset();
    maximizeView.reset(selectedLayer);
    pad.enabled = opened.inputShape.length === 3;
    setKernels(opened.kernels, opened.threads);
    setStatus('');
    const first = image ?? (opened.inputShape.join('x') === '1x28x28' ? { kind: 'url', url: 'examples/digit-7.png' } as const : null);
    if (first) {
      lastImage = first;
      if (first.kind === 'url') loadExample(first.url);
      else sendInput(first);
    } else {
      clear(byId('predictions'), h('p', { class: 'muted' }, 'Open an image to run the model.'));
    }
  } catch (e) {
    setStatus('');
    showError(errorMessage(e));
  }
}

async function openFiles(files: File[]): Promise<void> {
  if (files.length === 0) return;
  try {
    const picked = await sortFiles(files);
    if (!picked.model && !picked.image) {
      showError(`${picked.ignored.join(', ')}: not a model (.h5, .keras, model.json + .bin) or an image (PNG, JPEG, .npy)`);
      return;
    }
    const image: InputRequest | null = picked.image ? { kind: 'bytes', bytes: picked.image.bytes, name: picked.image.name } : null;
    if (picked.image) showImageOnPad(picked.image.bytes, picked.image.name);
    if (picked.model) await openModel(picked.model, image);
    else if (image) {
      lastImage = image;
      sendInput(image);
    }
  } catch (e) {
    showError(errorMessage(e));
  }
}

byId<HTMLInputElement>('model-files').addEventListener('change', (e) => void openFiles([...((e.target as HTMLInputElement).files ?? [])]));
byId<HTMLInputElement>('image-file').addEventListener('change', (e) => void openFiles([...((e.target as HTMLInputElement).files ?? [])]));

const dropHint = byId('drop-hint');
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  dropHint.hidden = false;
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) dropHint.hidden = true;
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dropHint.hidden = true;
  void openFiles([...(e.dataTransfer?.files ?? [])]);
});

// ---- threads ----

function setKernels(kernels: string, threadsPossible: boolean): void {
  hook.kernels = kernels;
  const two = kernels.endsWith('-2t');
  byId('threads-1').classList.toggle('on', !two);
  byId('threads-2').classList.toggle('on', two);
  byId<HTMLButtonElement>('threads-2').disabled = !threadsPossible;
  byId('threads-2').title = threadsPossible ? 'run the big products on two threads (same results)' : 'two threads need a cross-origin isolated page: serve the app with `convscope serve`';
  byId('kernels').textContent = `Kernels: ${kernels}${threadsPossible ? '' : ' (one thread: this page is not cross-origin isolated)'}.`;
}

async function setThreads(count: 1 | 2): Promise<void> {
  try {
    const state = await tracked(client.request('threads', { count }));
    setKernels(state.kernels, state.threads);
    if (lastImage || hook.prediction) await refreshViews();
  } catch (e) {
    showError(errorMessage(e));
  }
}
byId('threads-1').addEventListener('click', () => void setThreads(1));
byId('threads-2').addEventListener('click', () => void setThreads(2));

// ---- start ----

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const model = params.get('model');
  const image = params.get('image');
  if (params.get('threads') === '2') await setThreads(2);
  for (const name of ['scale', 'mean', 'std']) {
    const value = params.get(name);
    if (value !== null) byId<HTMLInputElement>(`prep-${name}`).value = value;
  }
  await openModel({ kind: 'url', url: model ?? SHIPPED_MODEL }, image ? { kind: 'url', url: image } : null);
  while (hook.busy > 0 || inFlight) await new Promise((r) => setTimeout(r, 20));
  hook.ready = true;
}

void start();
