import { Tensor, formatShape, sameShape, sizeOf } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import type { Layer, LayerRecord, TrainMode } from '../layers/layer.ts';
import { buildLayer } from './build.ts';
import { checkSpecSchema, checkWeightValues } from './check-spec.ts';
import { withSource } from './with-source.ts';
import type { ModelSpec } from './spec.ts';
import { argumentError, checkBoolean, checkInteger, checkOptions, checkTensor, describe } from '../check.ts';
import { checkFiniteInput, checkFiniteResult } from '../nonfinite.ts';
import { BufferPool, withBufferPool } from '../buffer-pool.ts';
import { passArena } from '../runtime/backend.ts';

/** Everything one forward pass keeps: each layer's input, pre-activation, output and switches, batched. */
export interface ForwardResult {
  input: Tensor;
  records: Map<string, LayerRecord>;
  /** The last layer's output, (N, ...). */
  output: Tensor;
  /** Whether the caller passed a batch (N, ...) or one sample. */
  batched: boolean;
}

/** What every call that runs the model on a caller's input accepts. */
export interface RunOptions {
  /**
   * Let NaN and Infinity through, in the input and in the result. Default false: an input with
   * one is refused, and a result with one is an error (E_NONFINITE), not a number to trust.
   */
  allowNonFinite?: boolean;
  /** Names the input in messages (its file name, say); default 'the input'. */
  inputName?: string;
}

export interface PredictOptions extends RunOptions {
  /** Samples run at once; default 256. */
  chunk?: number;
}

export interface ModelOptions {
  /** The output that predict and every class target use; default the spec's first output. */
  output?: string;
}

/**
 * A Keras model as a directed acyclic graph of engine layers, channels-first: `layers` are its
 * nodes (one per layer call) in topological order, `sources[i]` the nodes node i takes its
 * inputs from (-1: the model's input).
 */
export class Model {
  readonly layers: Layer[];
  readonly sources: number[][];
  /** The model's outputs, by node name; `output` is the one methods use. */
  readonly outputNames: string[];
  readonly output: string;
  readonly outputIndex: number;
  private readonly index: Map<string, number>;
  private readonly aliases: Map<string, string>;
  private readonly ancestorCache = new Map<number, number[]>();
  private readonly consumerLists: number[][];
  /** predict's tensors, recycled from one call to the next. */
  private readonly predictPool = new BufferPool();

  /**
   * Builds the nodes after checking the spec: its schema and graph, each node's shapes against
   * its inputs, every tensor of one sample's forward pass against the memory limit, and the
   * weights' values. `source` (the file the spec came from) starts every message.
   */
  constructor(readonly spec: ModelSpec, readonly source?: string, options: ModelOptions = {}) {
    const built = withSource(source, () => {
      checkSpecSchema(spec);
      checkMemory(4 * sizeOf(spec.inputShape), `the model's input ${formatShape(spec.inputShape)}`);
      const graph = specGraph(spec);
      const layers: Layer[] = [];
      spec.layers.forEach((s, i) => {
        const shapes = graph.sources[i].map((j) => (j < 0 ? spec.inputShape : layers[j].outputShape));
        const layer = buildLayer(s, shapes);
        checkMemory(4 * sizeOf(layer.outputShape), `the output ${formatShape(layer.outputShape)} of layer '${layer.name}'`);
        layers.push(layer);
      });
      checkWeightValues(spec);
      return { layers, ...graph };
    });
    this.layers = built.layers;
    this.sources = built.sources;
    this.consumerLists = this.layers.map(() => []);
    this.sources.forEach((from, j) => {
      for (const i of new Set(from)) if (i >= 0) this.consumerLists[i].push(j);
    });
    this.index = new Map(this.layers.map((l, i) => [l.name, i]));
    this.aliases = uniqueShortNames(this.layers.map((l) => l.name));
    this.outputNames = built.outputs;
    if (options.output !== undefined && typeof options.output !== 'string') throw argumentError(`output must be the name of an output, not ${describe(options.output)}; outputs: ${this.outputNames.join(', ')}`);
    const output = options.output === undefined ? this.outputNames[0] : this.resolve(options.output);
    if (output === undefined || !this.outputNames.includes(output)) {
      throw argumentError(`unknown output ${describe(options.output)}; the model's outputs: ${this.outputNames.join(', ')}`);
    }
    this.output = output;
    this.outputIndex = this.index.get(output)!;
  }

  /** The same model with another of its outputs as the one methods use. */
  withOutput(name: string): Model {
    return name === this.output ? this : new Model(this.spec, this.source, { output: name });
  }

  get name(): string {
    return this.spec.name;
  }

  get inputShape(): readonly number[] {
    return this.spec.inputShape;
  }

  get outputShape(): readonly number[] {
    return this.layers[this.outputIndex].outputShape;
  }

  /** Every weight counted once (a shared layer's calls share theirs). */
  get paramCount(): number {
    const seen = new Set<Tensor>();
    for (const l of this.layers) for (const t of Object.values(l.weights)) seen.add(t);
    return [...seen].reduce((n, t) => n + t.size, 0);
  }

  layerNames(): string[] {
    return this.layers.map((l) => l.name);
  }

  /** A node's full name, for its full name or (a nested model's layer) its unique short name. */
  private resolve(name: string): string | undefined {
    return this.index.has(name) ? name : this.aliases.get(name);
  }

  /** The node called name (or, in a nested model, its unique short name); the error lists the valid names. */
  layer(name: string): Layer {
    return this.layers[this.layerIndex(name)];
  }

  layerIndex(name: string): number {
    const full = typeof name === 'string' ? this.resolve(name) : undefined;
    if (full === undefined) throw argumentError(`unknown layer ${typeof name === 'string' ? `'${name}'` : describe(name)}; layers: ${listNames(this.layerNames())}`);
    return this.index.get(full)!;
  }

  /** The nodes node `last` depends on, itself included, in topological order. */
  ancestors(last: number): number[] {
    let list = this.ancestorCache.get(last);
    if (!list) {
      const needed = new Uint8Array(this.layers.length);
      needed[last] = 1;
      for (let i = last; i >= 0; i--) if (needed[i]) for (const j of this.sources[i]) if (j >= 0) needed[j] = 1;
      list = [];
      for (let i = 0; i <= last; i++) if (needed[i]) list.push(i);
      this.ancestorCache.set(last, list);
    }
    return list;
  }

  /** The nodes that take node i's output. */
  consumers(i: number): number[] {
    return this.consumerLists[i];
  }

  /** Brings one sample (C,H,W) or a batch (N,C,H,W) (for vector models (K) or (N,K)) to batched form. */
  toBatch(x: Tensor): { batch: Tensor; batched: boolean } {
    checkTensor(x, 'the input');
    const rank = this.inputShape.length;
    if (x.rank === rank && sameShape(x.shape, this.inputShape)) return { batch: x.reshape([1, ...x.shape]), batched: false };
    if (x.rank === rank + 1 && sameShape(x.shape.slice(1), this.inputShape)) return { batch: x, batched: true };
    throw new ConvscopeError('E_SHAPE', `the input has shape ${formatShape(x.shape)} but the model takes ${formatShape(this.inputShape)} or a batch (N, ${this.inputShape.join(', ')})`);
  }

  /**
   * Runs every layer (up to and including `until`, when given) and keeps their records. An input
   * or a result holding NaN or Infinity is an error (E_NONFINITE) unless `allowNonFinite` is set.
   */
  forward(x: Tensor, until?: string, options?: RunOptions): ForwardResult {
    const { allowNonFinite, inputName = 'the input' } = runOptions(options);
    const last = until === undefined ? this.outputIndex : this.layerIndex(until);
    const { batch, batched } = this.toBatch(x);
    checkFiniteInput(x.data, x.shape, inputName, allowNonFinite);
    const result = this.run(batch, last, batched);
    checkFiniteResult(result.output.data, result.output.shape, `the output of layer '${this.layers[last].name}'`, allowNonFinite);
    return result;
  }

  /**
   * forward without the checks, for methods that check their own input and result: the nodes node
   * `last` needs. With `training`, each node runs as while training (dropout, batch statistics).
   */
  run(batch: Tensor, last: number, batched: boolean, training?: TrainMode): ForwardResult {
    const records = new Map<string, LayerRecord>();
    const outputs: Tensor[] = [];
    for (const i of this.ancestors(last)) {
      const inputs = this.sources[i].map((j) => (j < 0 ? batch : outputs[j]));
      const layer = this.layers[i];
      const record = training && !training.inference?.has(layer.name) ? layer.forwardTrain(inputs, training) : layer.forwardAll(inputs);
      records.set(layer.name, record);
      outputs[i] = record.output;
    }
    return { input: batch, records, output: outputs[last], batched };
  }

  /**
   * The output of the last layer (or of layer `until`) for x: per-sample shape for one sample,
   * (N, ...) for a batch. Large batches run in chunks, so only one chunk's records are alive.
   * NaN or Infinity in the input or the result is an error unless `allowNonFinite` is set.
   */
  predict(x: Tensor, until?: string, options?: PredictOptions): Tensor {
    const { allowNonFinite, inputName = 'the input', chunk = 256 } = runOptions(options);
    checkInteger(chunk, 'chunk', 1);
    const last = until === undefined ? this.outputIndex : this.layerIndex(until);
    const { batch, batched } = this.toBatch(x);
    checkFiniteInput(x.data, x.shape, inputName, allowNonFinite);
    const n = batch.shape[0];
    const per = batch.size / Math.max(n, 1);
    const outShape = this.layers[last].outputShape;
    const outPer = outShape.reduce((a, b) => a * b, 1);
    const out = Tensor.zeros([n, ...outShape]);
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const part = new Tensor([count, ...this.inputShape], batch.data.subarray(start * per, (start + count) * per));
      withBufferPool(this.predictPool, () => out.data.set(this.run(part, last, true).output.data, start * outPer), passArena());
    }
    checkFiniteResult(out.data, out.shape, `the output of layer '${this.layers[last].name}'`, allowNonFinite);
    return batched ? out : out.reshape(outShape);
  }
}

function runOptions<T extends RunOptions>(options: T | undefined): T {
  const opts = checkOptions(options);
  checkBoolean(opts.allowNonFinite, 'allowNonFinite');
  if (opts.inputName !== undefined && typeof opts.inputName !== 'string') throw argumentError(`inputName must be a string, not ${describe(opts.inputName)}`);
  return opts;
}

function listNames(names: readonly string[]): string {
  return names.length > 40 ? `${names.slice(0, 40).join(', ')}, ... (${names.length} in all; convscope info lists them)` : names.join(', ');
}

/** For nodes named outer/inner (a nested model's layers): inner -> outer/inner, where inner names one node only. */
function uniqueShortNames(names: readonly string[]): Map<string, string> {
  const full = new Set(names);
  const counts = new Map<string, string[]>();
  for (const name of names) {
    const short = name.slice(name.lastIndexOf('/') + 1);
    if (short === name || full.has(short)) continue;
    counts.set(short, [...(counts.get(short) ?? []), name]);
  }
  return new Map([...counts].filter(([, list]) => list.length === 1).map(([short, list]) => [short, list[0]]));
}

/**
 * The spec's graph, checked: each node's sources (by index; -1 the model's input) and the
 * outputs. A node may only take the outputs of nodes listed before it, which rules out cycles.
 */
function specGraph(spec: ModelSpec): { sources: number[][]; outputs: string[] } {
  const index = new Map<string, number>();
  const sources = spec.layers.map((layer, i) => {
    let from: number[];
    if (layer.type === 'InputLayer' && (layer.inputs === undefined || layer.inputs.length === 0)) {
      from = [-1];
    } else if (layer.type === 'InputLayer' && layer.inputs!.length > 1) {
      graphFail(`layer '${layer.name}' is an InputLayer, which takes one input (a nested model's) or none, but lists ${layer.inputs!.join(', ')}`);
    } else if (layer.inputs === undefined) {
      from = [i - 1];
    } else {
      if (layer.inputs.length === 0) graphFail(`layer '${layer.name}' takes no inputs; only an InputLayer may`);
      from = layer.inputs.map((name) => {
        const j = index.get(name);
        if (j === undefined) {
          const later = spec.layers.findIndex((l) => l.name === name);
          graphFail(later < 0
            ? `layer '${layer.name}' takes its input from '${name}', which is not a layer of the model`
            : `layer '${layer.name}' takes its input from '${name}', which comes after it: the layers must be listed so that each comes after its inputs (a cycle cannot be run)`);
        }
        return j;
      });
    }
    index.set(layer.name, i);
    return from;
  });
  // A nested model's InputLayer takes the tensor the nested model is called on: not a model input.
  const inputLayers = spec.layers.filter((l) => l.type === 'InputLayer' && !(l.inputs && l.inputs.length > 0));
  if (inputLayers.length > 1) {
    throw new ConvscopeError('E_UNSUPPORTED', `the model has ${inputLayers.length} inputs (${inputLayers.map((l) => l.name).join(', ')}); convscope handles single-input models`);
  }
  const outputs = spec.outputs ?? [spec.layers[spec.layers.length - 1].name];
  for (const name of outputs) if (!index.has(name)) graphFail(`output '${name}' is not a layer of the model`);
  return { sources, outputs };
}

function graphFail(message: string): never {
  throw new ConvscopeError('E_FORMAT', message);
}
