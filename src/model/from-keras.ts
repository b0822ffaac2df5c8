import { formatShape, sameShape, sizeOf } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import { halfPixelResize, kerasMajor, type KerasGraph, type KerasLayerFile, type KerasModelFile, type KerasTensorRef, type KerasWeight } from '../io/keras-model.ts';
import { buildLayer } from './build.ts';
import { KerasConfig } from './keras-config.ts';
import { IDENTITY_CLASSES, KerasLayer, type DataFormat } from './keras-layer.ts';
import { convertKerasLayer } from './keras-converters.ts';
import { describe } from './spec-schema.ts';
import { withSource } from './with-source.ts';
import { LAYER_TYPES, type LayerSpec, type ModelSpec } from './spec.ts';

export { chwToHwcIndex } from './keras-layer.ts';

const CONVERTED = LAYER_TYPES.filter((t) => t !== 'Model');
const SUPPORTED = [...CONVERTED, 'Functional', 'Sequential'].join(', ');

/**
 * Converts a Keras model, as any reader gives it, into the engine's channels-first spec: one
 * node per layer call in topological order, nested models flattened (their layers named
 * `outer/inner`, the nested model a node of its own), shared layers one node per call (`name`,
 * `name:1`, ...), conv kernels transposed to (Cout, Cin, KH, KW).
 */
export function specFromKeras(file: KerasModelFile): ModelSpec {
  return withSource(file.provenance.source, () => new GraphBuilder(file).spec());
}

/** One call of a Keras layer as specFromKeras converts it. */
export interface KerasCall {
  /** The spec node the call became. */
  node: string;
  layer: KerasLayerFile;
  /** The call's conversion again, with `weights` (each the shape of the layer's own) in place of the layer's. */
  convert(weights: Record<string, KerasWeight>): LayerSpec;
}

/** Every layer call of a Keras model, in the order specFromKeras converts them. */
export function kerasCalls(file: KerasModelFile): KerasCall[] {
  return withSource(file.provenance.source, () => {
    const builder = new GraphBuilder(file);
    builder.spec();
    return builder.calls;
  });
}

/** A spec node and the per-sample shape of its output. */
interface Built {
  name: string;
  shape: readonly number[];
}

class GraphBuilder {
  readonly nodes: LayerSpec[] = [];
  readonly shapes = new Map<string, readonly number[]>();
  readonly dataFormat: DataFormat;
  readonly major: 2 | 3;
  /** The first call's spec of each layer, so that later calls share its weights. */
  readonly firstCall = new Map<KerasLayerFile, { spec: LayerSpec; inputShapes: (readonly number[])[] }>();
  readonly calls: KerasCall[] = [];

  constructor(readonly file: KerasModelFile) {
    // Keras 1/2 stored Theano kernels flipped; Keras 3 keeps one layout whatever the backend.
    if (kerasMajor(file) === 2 && file.backend && file.backend !== 'tensorflow' && file.backend !== 'unknown') {
      throw new ConvscopeError('E_UNSUPPORTED', `the model was saved with the '${file.backend}' backend; convscope reads TensorFlow-backend Keras models (its kernel layout)`);
    }
    checkLayers(file);
    this.dataFormat = modelDataFormat(file);
    this.major = kerasMajor(file);
  }

  spec(): ModelSpec {
    const file = this.file;
    const inputShape = modelInputShape(file, this.dataFormat);
    checkMemory(4 * sizeOf(inputShape), `the model's input ${formatShape(inputShape)}`);
    let outputs: string[];
    if (file.kind === 'Functional') {
      if (file.inputs.length !== 1) {
        throw new ConvscopeError('E_UNSUPPORTED', `the model has ${file.inputs.length} inputs (${file.inputs.map((r) => r.layer).join(', ')}); convscope handles single-input models`);
      }
      outputs = this.functional(file, '', null, inputShape).map((b) => b.name);
    } else {
      outputs = [this.sequential(file, '', null, inputShape).name];
    }
    if (this.nodes.length === 0) throw new ConvscopeError('E_FORMAT', 'the model has no layers');
    const chain = this.nodes.every((n, i) => n.type !== 'InputLayer' && sameList(n.inputs ?? [], i === 0 ? [] : [this.nodes[i - 1].name]));
    if (chain) for (const n of this.nodes) delete n.inputs;
    const last = this.nodes[this.nodes.length - 1].name;
    return {
      name: file.name,
      dataFormat: this.dataFormat,
      inputShape,
      layers: this.nodes,
      ...(sameList(outputs, [last]) ? {} : { outputs: [...new Set(outputs)] }),
      provenance: { source: file.provenance.source, sha256: file.provenance.sha256, kerasVersion: file.kerasVersion, backend: file.backend },
      keras: file,
    };
  }

  /** Adds one call of a layer on the given nodes (none: the model's input) and returns its node. */
  call(layer: KerasLayerFile, name: string, inputs: Built[] | null): Built {
    const inputShapes = inputs ? inputs.map((b) => b.shape) : [this.shapes.get('') ?? []];
    const convert = (weights: Record<string, KerasWeight>) => {
      return convertKerasLayer(new KerasLayer({ ...layer, weights }, this.dataFormat, this.major, name, halfPixelResize(this.file)), inputShapes);
    };
    const spec = convert(layer.weights);
    this.calls.push({ node: name, layer, convert });
    const first = this.firstCall.get(layer);
    if (first && first.inputShapes.every((s, i) => inputShapes[i] && sameShape(s, inputShapes[i]))) spec.weights = first.spec.weights;
    else if (!first) this.firstCall.set(layer, { spec, inputShapes });
    if (inputs) spec.inputs = inputs.map((b) => b.name);
    else if (this.nodes.length > 0) throw new ConvscopeError('E_FORMAT', `layer '${name}' has no input`);
    return this.add(spec, inputShapes);
  }

  add(spec: LayerSpec, inputShapes: readonly (readonly number[])[]): Built {
    if (this.shapes.has(spec.name)) throw new ConvscopeError('E_FORMAT', `two layers of the model would both be called '${spec.name}'`);
    const shape = [...buildLayer(spec, inputShapes).outputShape];
    checkMemory(4 * sizeOf(shape), `the output ${formatShape(shape)} of layer '${spec.name}'`);
    this.nodes.push(spec);
    this.shapes.set(spec.name, shape);
    return { name: spec.name, shape };
  }

  /** The model's own input: an InputLayer node at the top of a functional model, nothing in a Sequential. */
  modelInput(name: string, inputShape: readonly number[]): Built {
    this.shapes.set('', inputShape);
    return this.add({ name, type: 'InputLayer', activation: 'linear', params: {}, weights: {}, inputs: [] }, [inputShape]);
  }

  /**
   * A Sequential (the top model when `input` is null, else a nested one called on `input`):
   * each layer takes the previous one's output. Its InputLayer, if listed, is not a node.
   */
  sequential(graph: KerasGraph, prefix: string, input: Built | null, inputShape: readonly number[]): Built {
    if (!input) this.shapes.set('', inputShape);
    let current = input;
    for (const layer of graph.layers) {
      if (layer.className === 'InputLayer') continue;
      current = layer.model ? this.nested(layer, `${prefix}${layer.name}`, current ? [current] : null, inputShape)[0] : this.call(layer, prefix + layer.name, current ? [current] : null);
    }
    if (!current) throw new ConvscopeError('E_FORMAT', `${graph.name}: the Sequential model has no layers`);
    return current;
  }

  /** A nested model called on `inputs` (null: the model's input): its layers, then its own node. */
  nested(layer: KerasLayerFile, name: string, inputs: Built[] | null, inputShape: readonly number[]): Built[] {
    const graph = layer.model!;
    const outs = graph.kind === 'Functional'
      ? this.functional(graph, `${name}/`, inputs ?? null, inputShape)
      : [this.sequential(graph, `${name}/`, inputs ? inputs[0] : null, inputShape)];
    const own = this.add({ name, type: 'Model', activation: 'linear', params: {}, weights: {}, inputs: [outs[0].name] }, [outs[0].shape]);
    return [own, ...outs.slice(1)];
  }

  /**
   * A functional graph's layer calls in topological order (ties in the config's order). At the
   * top (`inputs` null) its InputLayer is the model's input; nested, its InputLayers take the
   * tensors the nested model is called on. Returns its outputs.
   */
  functional(graph: KerasGraph, prefix: string, inputs: Built[] | null, inputShape: readonly number[]): Built[] {
    const tensors = new Map<string, Built[]>(); // `${layer}#${call}` -> the call's outputs
    const key = (layer: string, call: number) => `${layer}#${call}`;
    const tensor = (ref: KerasTensorRef): Built => {
      const outs = tensors.get(key(ref.layer, ref.node));
      const out = outs?.[ref.tensor];
      if (!out) throw new ConvscopeError('E_FORMAT', `${graph.name}: tensor ${ref.tensor} of call ${ref.node} of layer '${ref.layer}' does not exist`);
      return out;
    };
    graph.inputs.forEach((ref, i) => {
      const layer = graph.layers.find((l) => l.name === ref.layer)!;
      if (layer.className !== 'InputLayer') throw new ConvscopeError('E_UNSUPPORTED', `${graph.name}: its input '${layer.name}' is a ${layer.className}, not an InputLayer`);
      const node = inputs
        ? this.add({ name: prefix + layer.name, type: 'InputLayer', activation: 'linear', params: {}, weights: {}, inputs: [inputs[i]?.name ?? inputs[0].name] }, [(inputs[i] ?? inputs[0]).shape])
        : this.modelInput(prefix + layer.name, inputShape);
      tensors.set(key(layer.name, 0), [node]);
    });
    for (const { layer, call } of callOrder(graph)) {
      const args = layer.calls[call].map(tensor);
      const name = prefix + (call === 0 ? layer.name : `${layer.name}:${call}`);
      tensors.set(key(layer.name, call), layer.model ? this.nested(layer, name, args, inputShape) : [this.call(layer, name, args)]);
    }
    return graph.outputs.map(tensor);
  }
}

/** The calls of a functional graph's layers (InputLayers aside) in topological order, ties in config order. */
function callOrder(graph: KerasGraph): { layer: KerasLayerFile; call: number }[] {
  const calls = graph.layers.flatMap((layer) => (layer.className === 'InputLayer' ? [] : layer.calls.map((_, call) => ({ layer, call }))));
  const id = (layer: string, call: number) => `${layer}#${call}`;
  const done = new Set(graph.layers.filter((l) => l.className === 'InputLayer').map((l) => id(l.name, 0)));
  const order: typeof calls = [];
  let pending = calls;
  while (pending.length > 0) {
    const ready = pending.filter((c) => c.layer.calls[c.call].every((r) => done.has(id(r.layer, r.node))));
    if (ready.length === 0) {
      const stuck = pending[0];
      throw new ConvscopeError('E_FORMAT', `${graph.name}: layer '${stuck.layer.name}' takes an input that no input of the model leads to`);
    }
    // One at a time in config order, so that the order is the config's wherever that is one.
    const next = ready[0];
    order.push(next);
    done.add(id(next.layer.name, next.call));
    pending = pending.filter((c) => c !== next);
  }
  return order;
}

/** Every layer's class is one convscope runs: the first that is not is named with its nested path. */
function checkLayers(graph: KerasGraph, prefix = ''): void {
  for (const l of graph.layers) {
    if (l.model) checkLayers(l.model, `${prefix}${l.name}/`);
    else if (!CONVERTED.includes(l.className as (typeof CONVERTED)[number])) {
      throw new ConvscopeError('E_UNSUPPORTED', `layer '${prefix}${l.name}' is a ${l.className}, which convscope does not support; supported layers: ${SUPPORTED}`);
    }
  }
}

/** The data format the model's layers declare (the first that declares one); Keras's default channels_last otherwise. */
function modelDataFormat(graph: KerasGraph): DataFormat {
  return declaredDataFormat(graph) ?? 'channels_last';
}

function declaredDataFormat(graph: KerasGraph): DataFormat | undefined {
  for (const l of graph.layers) {
    if (IDENTITY_CLASSES.includes(l.className)) continue;
    const f = l.model ? declaredDataFormat(l.model) : new KerasConfig(l.name, l.className, l.config).declaredDataFormat();
    if (f) return f;
  }
  return undefined;
}

/** The layer that declares the model's input shape: its InputLayer, or a Sequential's first layer (or that of the model nested first). */
function inputDeclaration(graph: KerasGraph): KerasLayerFile | undefined {
  if (graph.kind === 'Functional') return graph.layers.find((l) => l.name === graph.inputs[0]?.layer);
  const first = graph.layers[0];
  if (first?.model && first.config.batch_input_shape === undefined && first.config.batch_shape === undefined) return inputDeclaration(first.model);
  return first;
}

function modelInputShape(graph: KerasGraph, dataFormat: DataFormat): number[] {
  const first = inputDeclaration(graph);
  if (first === undefined) throw new ConvscopeError('E_FORMAT', 'the model has no layers');
  const raw = first.config.batch_input_shape ?? first.config.batch_shape;
  if (!Array.isArray(raw) || raw.length < 2 || !raw.slice(1).every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new ConvscopeError(
      'E_FORMAT',
      `layer '${first.name}' (${first.className}): config.batch_input_shape: expected [null, ...fixed positive sizes] (the model's input shape), got ${describe(raw)}`,
    );
  }
  const s = raw.slice(1) as number[];
  if (s.length === 3) return dataFormat === 'channels_last' ? [s[2], s[0], s[1]] : s;
  if (s.length === 1) return s;
  throw new ConvscopeError('E_UNSUPPORTED', `the model's input shape ${formatShape(s)} is not an image (H, W, C) / (C, H, W) or a vector`);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
