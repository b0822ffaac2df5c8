import type { Tensor } from '../tensor.ts';
import { formatShape, sameShape } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import type { KerasGraph, KerasLayerFile, KerasWeight } from '../io/keras-model.ts';
import { kerasCalls, type KerasCall } from './from-keras.ts';
import type { LayerSpec, ModelSpec } from './spec.ts';

/**
 * The engine's weights back in Keras's terms: each Keras layer's weights, by their short Keras
 * names ('kernel', 'bias', 'gamma', 'moving_mean', ...), in Keras's layouts (conv kernels HWIO,
 * Dense kernels (in, out) with rows in Keras's flatten order, PReLU's alpha (H, W, C) ...), from
 * the engine's current tensors, or, for an engine tensor that `substitute` has, from the tensor
 * it gives (a gradient map keyed by weight tensor: dL/dW in Keras's layout).
 *
 * Keys are the Keras layers' names, a nested model's layers after the nested model's
 * ('outer/inner'); a shared layer's weights appear once. With `substitute`, only the weights all
 * of whose engine tensors it has are given (a gradient map leaves out non-trainable ones).
 * Values that no engine tensor holds (a Normalization layer's sample count) are the loaded ones.
 *
 *   const grads = new Trainer(model).lossAndGradients(x, y).gradients;
 *   kerasWeights(model, grads).get('conv1')!.kernel;   // (5, 5, 1, 16), as Keras's gradient
 *
 * How the map is found, so that it stays right for every converter: each layer is converted
 * again with weights whose values are their own element indices, which shows where each engine
 * element comes from; a converter that does more than rearrange (scales, sums, fills in
 * constants) makes the layer not writable: E_UNSUPPORTED, naming it.
 */
export function kerasWeights(model: { spec: ModelSpec }, substitute?: Map<Tensor, Tensor>): Map<string, Record<string, KerasWeight>> {
  const out = new Map<string, Record<string, KerasWeight>>();
  for (const { path, weights } of kerasLayerWeights(model.spec, substitute)) {
    if (substitute && Object.keys(weights).length === 0) continue;
    out.set(path, weights);
  }
  return out;
}

/** One Keras layer (not a nested model) with its weights, as kerasWeights gives them, in the order of the model's config. */
export interface KerasLayerWeights {
  layer: KerasLayerFile;
  /** Its name, after the names of the models it is nested in. */
  path: string;
  weights: Record<string, KerasWeight>;
}

/** kerasWeights, each layer with its Keras description (for a writer). */
export function kerasLayerWeights(spec: ModelSpec, substitute?: Map<Tensor, Tensor>): KerasLayerWeights[] {
  const file = spec.keras;
  if (!file) {
    throw new ConvscopeError('E_UNSUPPORTED', `model '${spec.name}' has no Keras description (a converted model folder has none); load it from its Keras file, or build it with sequential`);
  }
  const paths = layerPaths(file);
  const nodes = new Map(spec.layers.map((l) => [l.name, l]));
  const sources = new Map<KerasLayerFile, Source[]>();
  const seen = new Set<Tensor>();
  for (const call of kerasCalls(file)) {
    const node = nodes.get(call.node);
    if (!node) throw new ConvscopeError('E_FORMAT', `model '${spec.name}': its spec has no node '${call.node}', which its Keras description calls for; the spec was changed after it was converted`);
    // A later call of a shared layer on same-shaped inputs holds the first call's tensors.
    if (Object.values(node.weights).every((t) => seen.has(t))) continue;
    const found = elementSources(call, node, paths.get(call.layer)!);
    for (const s of found) seen.add(s.engine);
    sources.set(call.layer, [...(sources.get(call.layer) ?? []), ...found]);
  }
  const out: KerasLayerWeights[] = [];
  for (const [layer, path] of paths) {
    const weights: Record<string, KerasWeight> = {};
    for (const [key, loaded] of Object.entries(layer.weights)) {
      const from = (sources.get(layer) ?? []).filter((s) => s.key === key);
      const value = kerasValue(loaded, from, substitute, `${path}/${key}`);
      if (value) weights[key] = value;
    }
    out.push({ layer, path, weights });
  }
  return out;
}

/** Where an engine tensor's elements come from: element i holds element index[i] of the layer's Keras weight `key` (-1: of none). */
interface Source {
  key: string;
  engine: Tensor;
  index: Int32Array;
}

/** The Keras layers that hold weights (every layer but nested models), each with its path, in config order. */
function layerPaths(graph: KerasGraph, prefix = '', into = new Map<KerasLayerFile, string>()): Map<KerasLayerFile, string> {
  for (const l of graph.layers) {
    if (l.model) layerPaths(l.model, `${prefix}${l.name}/`, into);
    else into.set(l, prefix + l.name);
  }
  return into;
}

/** One Keras weight's values: the loaded ones, overwritten by each engine element that holds one (the first call's where calls differ). */
function kerasValue(loaded: KerasWeight, from: Source[], substitute: Map<Tensor, Tensor> | undefined, name: string): KerasWeight | undefined {
  if (substitute && (from.length === 0 || !from.every((s) => substitute.has(s.engine)))) return undefined;
  const data = substitute ? new Float32Array(loaded.data.length) : Float32Array.from(loaded.data);
  const written = new Uint8Array(data.length);
  for (const s of from) {
    const values = substitute ? substitute.get(s.engine)! : s.engine;
    if (!sameShape(values.shape, s.engine.shape)) {
      throw new ConvscopeError('E_ARGUMENT', `kerasWeights: the substitute for ${name} has shape ${formatShape(values.shape)}; the engine's tensor is ${formatShape(s.engine.shape)}`);
    }
    for (let i = 0; i < s.index.length; i++) {
      const k = s.index[i];
      if (k >= 0 && !written[k]) {
        data[k] = values.data[i];
        written[k] = 1;
      }
    }
  }
  return { shape: [...loaded.shape], data };
}

// Element indices as float32 values are exact below 2^24; a bigger weight is told in two digits.
const EXACT = 2 ** 24;
const LOW = 2 ** 20;

/** The check pass's values: distinct for distinct j (but for float32 ties past millions), never an integer. */
function marks(n: number): Float32Array {
  const out = new Float32Array(n);
  let fraction = 0; // j times the golden ratio, mod 1 (a Weyl sequence: well spread, no repeats)
  for (let j = 0; j < n; j++) {
    out[j] = 1.25 + 0.5 * fraction;
    fraction += 0.6180339887498949;
    if (fraction >= 1) fraction -= 1;
  }
  return out;
}

/** Element j's digit (j itself below 2^24; else j mod 2^20, then j / 2^20), plus 1, so that 0 means "not from here". */
function digitValues(n: number, digit: number, digits: number): Float32Array {
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = (digits === 1 ? j : digit === 0 ? j % LOW : Math.floor(j / LOW)) + 1;
  return out;
}

/**
 * The sources of a call's engine tensors: for each Keras weight, a conversion with that weight's
 * element indices plus 1 (the other weights zero), per digit, then one with `mark` values that
 * checks the map (a sum, a scale, a sign change or a constant shows). Every engine element must
 * come from exactly one Keras element, and no Keras element go to two engine elements.
 */
function elementSources(call: KerasCall, node: LayerSpec, path: string): Source[] {
  const layer = call.layer;
  const keys = Object.keys(layer.weights);
  const notWritable = (why: string): never => {
    throw new ConvscopeError('E_UNSUPPORTED', `layer '${path}' (${layer.className}): its weights cannot be mapped back to Keras's (${why}), so it cannot be written as Keras`);
  };
  // A layer without Keras weights has engine weights from its config (constants), none to map.
  if (keys.length === 0) return [];
  const engineKeys = Object.keys(node.weights);
  const zeros = Object.fromEntries(keys.map((k) => [k, { shape: layer.weights[k].shape, data: new Float32Array(layer.weights[k].data.length) }]));
  const convertWith = (key: string, data: Float32Array): Record<string, Tensor> => {
    const weights = call.convert({ ...zeros, [key]: { shape: layer.weights[key].shape, data } }).weights;
    if (Object.keys(weights).length !== engineKeys.length || !engineKeys.every((e) => weights[e] && sameShape(weights[e].shape, node.weights[e].shape))) {
      notWritable('converted again, it gives other engine weights than the model has');
    }
    return weights;
  };
  // Per engine weight: each element's Keras weight (its position in keys, plus 1; 0: none yet) and index in it.
  const owner = new Map(engineKeys.map((e) => [e, new Uint8Array(node.weights[e].size)]));
  const index = new Map(engineKeys.map((e) => [e, new Int32Array(node.weights[e].size).fill(-1)]));
  keys.forEach((key, k) => {
    const n = layer.weights[key].data.length;
    const digits = n < EXACT ? 1 : 2;
    const rearranged = (e: string) => `engine weight '${e}' is not a rearrangement of '${key}'`;
    const position = new Map<string, Float64Array>(); // NaN: not from this Keras weight
    for (let d = 0; d < digits; d++) {
      const scale = d === 0 ? 1 : LOW;
      for (const [e, t] of Object.entries(convertWith(key, digitValues(n, d, digits)))) {
        if (d === 0) position.set(e, new Float64Array(t.size).fill(NaN));
        const pos = position.get(e)!;
        for (let i = 0; i < t.size; i++) {
          const v = t.data[i];
          if (d > 0 && (v !== 0) === Number.isNaN(pos[i])) notWritable(rearranged(e));
          if (v === 0) continue;
          if (!Number.isInteger(v) || v < 1) notWritable(rearranged(e));
          pos[i] = (d === 0 ? 0 : pos[i]) + (v - 1) * scale;
        }
      }
    }
    const used = new Uint8Array(n);
    const mark = marks(n);
    for (const [e, t] of Object.entries(convertWith(key, mark))) {
      const pos = position.get(e)!;
      const own = owner.get(e)!;
      for (let i = 0; i < t.size; i++) {
        const j = pos[i];
        if (Number.isNaN(j)) {
          if (t.data[i] !== 0) notWritable(rearranged(e));
          continue;
        }
        if (j >= n || t.data[i] !== mark[j]) notWritable(rearranged(e));
        if (own[i] !== 0) notWritable(`engine weight '${e}' mixes '${keys[own[i] - 1]}' and '${key}'`);
        if (used[j]) notWritable(`an element of '${key}' goes to two engine elements`);
        used[j] = 1;
        own[i] = k + 1;
        index.get(e)![i] = j;
      }
    }
  });
  const sources: Source[] = [];
  for (const e of engineKeys) {
    const own = owner.get(e)!;
    const missing = own.indexOf(0);
    if (missing >= 0) notWritable(`element ${missing} of engine weight '${e}' comes from none of its Keras weights`);
    keys.forEach((key, k) => {
      if (!own.includes(k + 1)) return;
      const ix = index.get(e)!.map((j, i) => (own[i] === k + 1 ? j : -1));
      sources.push({ key, engine: node.weights[e], index: ix });
    });
  }
  return sources;
}
