import { Tensor, formatShape, sameShape, sizeOf } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import type { Layer, LayerRecord } from '../layers/layer.ts';
import { buildLayer } from './build.ts';
import { checkSpecSchema, checkWeightValues } from './check-spec.ts';
import { withSource } from './with-source.ts';
import type { ModelSpec } from './spec.ts';
import { argumentError, checkBoolean, checkInteger, checkOptions, checkTensor, describe } from '../check.ts';
import { checkFiniteInput, checkFiniteResult } from '../nonfinite.ts';

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

/** A Keras model as a chain of engine layers, channels-first. */
export class Model {
  readonly layers: Layer[];

  /**
   * Builds the layers after checking the spec: its schema, each layer's shapes against its input,
   * every tensor of one sample's forward pass against the memory limit, and the weights' values.
   * `source` (the file the spec came from) starts every message.
   */
  constructor(readonly spec: ModelSpec, source?: string) {
    this.layers = withSource(source, () => {
      checkSpecSchema(spec);
      checkMemory(4 * sizeOf(spec.inputShape), `the model's input ${formatShape(spec.inputShape)}`);
      const layers: Layer[] = [];
      let shape: readonly number[] = spec.inputShape;
      for (const s of spec.layers) {
        const layer = buildLayer(s, shape);
        checkMemory(4 * sizeOf(layer.outputShape), `the output ${formatShape(layer.outputShape)} of layer '${layer.name}'`);
        layers.push(layer);
        shape = layer.outputShape;
      }
      checkWeightValues(spec);
      return layers;
    });
  }

  get name(): string {
    return this.spec.name;
  }

  get inputShape(): readonly number[] {
    return this.spec.inputShape;
  }

  get outputShape(): readonly number[] {
    return this.layers[this.layers.length - 1].outputShape;
  }

  get paramCount(): number {
    return this.layers.reduce((n, l) => n + l.paramCount, 0);
  }

  layerNames(): string[] {
    return this.layers.map((l) => l.name);
  }

  /** The layer called name; the error lists the valid names. */
  layer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) throw argumentError(`unknown layer ${typeof name === 'string' ? `'${name}'` : describe(name)}; layers: ${this.layerNames().join(', ')}`);
    return layer;
  }

  layerIndex(name: string): number {
    return this.layers.indexOf(this.layer(name));
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
    const last = until === undefined ? this.layers.length - 1 : this.layerIndex(until);
    const { batch, batched } = this.toBatch(x);
    checkFiniteInput(x.data, x.shape, inputName, allowNonFinite);
    const result = this.run(batch, last, batched);
    checkFiniteResult(result.output.data, result.output.shape, `the output of layer '${this.layers[last].name}'`, allowNonFinite);
    return result;
  }

  /** forward without the checks, for methods that check their own input and result. */
  run(batch: Tensor, last: number, batched: boolean): ForwardResult {
    const records = new Map<string, LayerRecord>();
    let a = batch;
    for (let i = 0; i <= last; i++) {
      const record = this.layers[i].forward(a);
      records.set(this.layers[i].name, record);
      a = record.output;
    }
    return { input: batch, records, output: a, batched };
  }

  /**
   * The output of the last layer (or of layer `until`) for x: per-sample shape for one sample,
   * (N, ...) for a batch. Large batches run in chunks, so only one chunk's records are alive.
   * NaN or Infinity in the input or the result is an error unless `allowNonFinite` is set.
   */
  predict(x: Tensor, until?: string, options?: PredictOptions): Tensor {
    const { allowNonFinite, inputName = 'the input', chunk = 256 } = runOptions(options);
    checkInteger(chunk, 'chunk', 1);
    const last = until === undefined ? this.layers.length - 1 : this.layerIndex(until);
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
      out.data.set(this.run(part, last, true).output.data, start * outPer);
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
