// A whole network (VGG16, or any plain chain of Conv2D 'same' stride 1, MaxPooling2D, Flatten and
// Dense layers) through the peers, for `npm run bench:models`: the same weights as convscope's
// model (read from the engine's layers, so the .h5 is read once), the same input.
// - tfjs-backend-wasm: composed tfjs-core ops in NHWC (tf.fused.conv2d 'same' with bias and relu,
//   tf.maxPool 2x2, reshape, tf.fused.matMul with bias and relu, softmax) under tf.tidy; the
//   first Dense kernel's rows are put in tfjs's (H,W,C) flatten order.
// - onnxruntime-web / -node: one hand-encoded ONNX graph (Conv, Relu, MaxPool, Flatten, Gemm,
//   Softmax) in NCHW with every weight an initializer; the first Dense kernel's rows are put in
//   ONNX's (C,H,W) flatten order.
// A timed run is the forward of one image plus the read-back of the class scores.
import type { Model } from '../../src/model/model.ts';
import type { Tensor } from '../../src/tensor.ts';
import type { Conv2DLayer } from '../../src/layers/conv2d.ts';
import type { MaxPooling2DLayer } from '../../src/layers/pooling.ts';
import type { FlattenLayer } from '../../src/layers/shape-layers.ts';
import { chwToHwc, importPeer, oihwToHwio } from './peer.ts';
import { SIMD_BUILD, startTfjsWasm } from './tfjs-start.ts';
import { ONNX_FLOAT, graphModel, type OnnxInitializer, type OnnxNode } from './onnx-model.ts';

export interface NetworkRun {
  name: string;
  description: string;
  /** One forward of the image; resolves to the class scores. */
  run(): Promise<Float32Array>;
  dispose(): Promise<void> | void;
}

type Step =
  | { kind: 'conv'; name: string; kernel: Tensor; bias: Tensor; relu: boolean }
  | { kind: 'pool'; name: string; size: number }
  | { kind: 'flatten'; name: string; c: number; h: number; w: number; order: 'chw' | 'hwc' }
  | { kind: 'dense'; name: string; kernel: Tensor; bias: Tensor; activation: 'relu' | 'softmax' | 'linear' };

/** The model as steps the peers can build (the InputLayer node is none); throws on a layer outside VGG16's kinds. */
function steps(model: Model): Step[] {
  return model.layers.filter((l) => l.type !== 'InputLayer').map((l): Step => {
    const w = l.weights;
    switch (l.type) {
      case 'Conv2D': {
        const c = (l as Conv2DLayer).config;
        if (c.padding !== 'same' || c.strides.some((s) => s !== 1) || c.dilation.some((d) => d !== 1) || !w.bias || !['relu', 'linear'].includes(c.activation)) throw new Error(`${l.name}: only 'same' stride-1 convolutions with a bias and relu`);
        return { kind: 'conv', name: l.name, kernel: w.kernel, bias: w.bias, relu: c.activation === 'relu' };
      }
      case 'MaxPooling2D': {
        const c = (l as MaxPooling2DLayer).config;
        if (c.padding !== 'valid' || c.pool[0] !== c.pool[1] || c.strides[0] !== c.pool[0] || c.strides[1] !== c.pool[1]) throw new Error(`${l.name}: only square 'valid' pools with stride = size`);
        return { kind: 'pool', name: l.name, size: c.pool[0] };
      }
      case 'Flatten': {
        const [c, h, wd] = l.inputShape;
        return { kind: 'flatten', name: l.name, c, h, w: wd, order: (l as FlattenLayer).order };
      }
      case 'Dense': {
        if (!w.bias || !['relu', 'softmax', 'linear'].includes(l.activation)) throw new Error(`${l.name}: only Dense with a bias and relu, softmax or no activation`);
        return { kind: 'dense', name: l.name, kernel: w.kernel, bias: w.bias, activation: l.activation as 'relu' | 'softmax' | 'linear' };
      }
      default:
        throw new Error(`${l.name}: layer type ${l.type} is not built for the peers`);
    }
  });
}

type Flattened = { c: number; h: number; w: number; order: 'chw' | 'hwc' };

/** The rows of the Dense kernel after a Flatten (in the engine's `from.order`, Keras's own) in the flatten order `to` of a peer. */
function rowsInOrder(kernel: Tensor, from: Flattened, to: 'chw' | 'hwc'): Float32Array {
  if (from.order === to) return kernel.data;
  const { c, h, w } = from;
  const nout = kernel.shape[1];
  const out = new Float32Array(kernel.size);
  const row = (ci: number, i: number, order: 'chw' | 'hwc') => (order === 'chw' ? ci * h * w + i : i * c + ci);
  for (let ci = 0; ci < c; ci++) {
    for (let i = 0; i < h * w; i++) out.set(kernel.data.subarray(row(ci, i, from.order) * nout, (row(ci, i, from.order) + 1) * nout), row(ci, i, to) * nout);
  }
  return out;
}

// ---- tfjs-backend-wasm ----

interface TfTensor {
  dataSync(): Float32Array;
  dispose(): void;
}

interface TfCore {
  tensor(values: Float32Array, shape: number[]): TfTensor;
  tidy<T extends TfTensor>(fn: () => T): T;
  reshape(x: TfTensor, shape: number[]): TfTensor;
  maxPool(x: TfTensor, filterSize: number, strides: number, pad: 'valid' | 'same'): TfTensor;
  softmax(x: TfTensor): TfTensor;
  fused: {
    conv2d(args: { x: TfTensor; filter: TfTensor; bias: TfTensor; strides: number; pad: 'same' | 'valid'; activation?: string }): TfTensor;
    matMul(args: { a: TfTensor; b: TfTensor; bias: TfTensor; activation?: string }): TfTensor;
  };
}

export async function tfjsNetwork(model: Model, image: Tensor): Promise<NetworkRun> {
  const { tf, version } = await startTfjsWasm<TfCore>();
  const held: TfTensor[] = [];
  const hold = (values: Float32Array, shape: number[]) => {
    const t = tf.tensor(values, shape);
    held.push(t);
    return t;
  };
  const [c0, h0, w0] = model.inputShape;
  const x = hold(chwToHwc(image.data, c0, h0, w0), [1, h0, w0, c0]);
  let flattened: Flattened | null = null;
  const layers: ((a: TfTensor) => TfTensor)[] = steps(model).map((s) => {
    switch (s.kind) {
      case 'conv': {
        const [cout, cin, kh, kw] = s.kernel.shape;
        const filter = hold(oihwToHwio(s.kernel.data, cout, cin, kh, kw), [kh, kw, cin, cout]);
        const bias = hold(s.bias.data, [cout]);
        const activation = s.relu ? 'relu' : 'linear';
        return (a) => tf.fused.conv2d({ x: a, filter, bias, strides: 1, pad: 'same', activation });
      }
      case 'pool':
        return (a) => tf.maxPool(a, s.size, s.size, 'valid');
      case 'flatten':
        flattened = s;
        return (a) => tf.reshape(a, [1, s.c * s.h * s.w]);
      case 'dense': {
        const [nin, nout] = s.kernel.shape;
        const kernel = flattened ? rowsInOrder(s.kernel, flattened, 'hwc') : s.kernel.data;
        flattened = null;
        const b = hold(kernel, [nin, nout]);
        const bias = hold(s.bias.data, [nout]);
        if (s.activation === 'softmax') return (a) => tf.softmax(tf.fused.matMul({ a, b, bias }));
        return (a) => tf.fused.matMul({ a, b, bias, activation: s.activation });
      }
    }
  });
  const run = async () => {
    const out = tf.tidy(() => layers.reduce((a, f) => f(a), x));
    const scores = out.dataSync();
    out.dispose();
    return scores;
  };
  return {
    name: 'tfjs-wasm',
    description: `${version}, ${SIMD_BUILD} (XNNPACK), one thread: tf.fused.conv2d 'same' + bias + relu, tf.maxPool, reshape, tf.fused.matMul + bias (+ relu), softmax; NHWC`,
    run,
    dispose: () => held.forEach((t) => t.dispose()),
  };
}

// ---- onnxruntime ----

/** The model as one ONNX graph in NCHW: input `input` (1,C,H,W), output `scores` (1,classes). */
export function onnxNetwork(model: Model): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  let a = 'input';
  const next = (name: string, node: Omit<OnnxNode, 'outputs'>) => {
    nodes.push({ ...node, outputs: [name] });
    a = name;
  };
  const all = steps(model);
  let flattened: Flattened | null = null;
  all.forEach((s, i) => {
    const last = i === all.length - 1;
    switch (s.kind) {
      case 'conv': {
        const [, , kh, kw] = s.kernel.shape;
        initializers.push({ name: `${s.name}_w`, shape: s.kernel.shape, data: s.kernel.data }, { name: `${s.name}_b`, shape: s.bias.shape, data: s.bias.data });
        const pads = [(kh - 1) >> 1, (kw - 1) >> 1, kh >> 1, kw >> 1]; // Keras 'same', stride 1: the extra row/column at the end
        next(s.relu ? `${s.name}_z` : s.name, { opType: 'Conv', inputs: [a, `${s.name}_w`, `${s.name}_b`], ints: { kernel_shape: [kh, kw], strides: [1, 1], pads } });
        if (s.relu) next(s.name, { opType: 'Relu', inputs: [a] });
        break;
      }
      case 'pool':
        next(s.name, { opType: 'MaxPool', inputs: [a], ints: { kernel_shape: [s.size, s.size], strides: [s.size, s.size] } });
        break;
      case 'flatten':
        next(s.name, { opType: 'Flatten', inputs: [a] }); // axis 1: (N, C*H*W)
        flattened = s;
        break;
      case 'dense':
        initializers.push({ name: `${s.name}_w`, shape: s.kernel.shape, data: flattened ? rowsInOrder(s.kernel, flattened, 'chw') : s.kernel.data }, { name: `${s.name}_b`, shape: s.bias.shape, data: s.bias.data });
        flattened = null;
        next(s.activation === 'linear' ? s.name : `${s.name}_z`, { opType: 'Gemm', inputs: [a, `${s.name}_w`, `${s.name}_b`] });
        if (s.activation !== 'linear') next(s.name, { opType: s.activation === 'relu' ? 'Relu' : 'Softmax', inputs: [a] });
        break;
    }
    if (last) nodes[nodes.length - 1] = { ...nodes[nodes.length - 1], outputs: ['scores'] };
  });
  const classes = model.outputShape.reduce((p, d) => p * d, 1);
  return graphModel(`convscope_${model.name}`, nodes, [{ name: 'input', elemType: ONNX_FLOAT, shape: [1, ...model.inputShape] }], [{ name: 'scores', elemType: ONNX_FLOAT, shape: [1, classes] }], initializers);
}

interface OrtTensor {
  readonly data: Float32Array;
}

interface Ort {
  env: { logLevel?: string; versions?: Record<string, string>; wasm: { numThreads?: number } };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>; release(): Promise<void> }> };
}

/** onnxruntime-web (wasm SIMD, one thread: its thread count is fixed by its first session) or -node on `threads` threads; `onnx` takes input `input` (1,C,H,W) and gives `scores`, `ops` are its operators. */
export async function ortNetwork(flavour: 'web' | 'node', threads: number, onnx: Uint8Array, inputShape: readonly number[], image: Tensor, ops = 'Conv, Relu, MaxPool, Flatten, Gemm, Softmax'): Promise<NetworkRun> {
  const ort = await importPeer<Ort>(`onnxruntime-${flavour}`);
  ort.env.logLevel = 'error';
  if (flavour === 'web') ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: [flavour === 'web' ? 'wasm' : 'cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const feeds = { input: new ort.Tensor('float32', image.data, [1, ...inputShape]) };
  const version = ort.env.versions?.[flavour] ?? ort.env.versions?.common ?? '?';
  return {
    name: `ort-${flavour}${threads === 1 ? '' : ` x${threads}`}`,
    description: `onnxruntime-${flavour} ${version}, ${flavour === 'web' ? 'wasm SIMD build' : 'native CPU execution provider'}, ${threads === 1 ? 'one thread' : `${threads} threads`}: one ONNX graph (${ops}; weights as initializers), NCHW`,
    run: async () => (await session.run(feeds)).scores.data.slice(),
    dispose: () => session.release(),
  };
}
