// onnxruntime-web (its wasm SIMD build) and onnxruntime-node (native, CPU execution provider)
// as peers: each workload is a one-node ONNX model (onnx-model.ts) in the engine's own NCHW
// layout, weights as initializers, the activation fed on every run.
import type { KernelName, Output, Workload } from '../workloads.ts';
import { importPeer, type Peer, type PeerRun } from './peer.ts';
import { ONNX_FLOAT, ONNX_INT64, oneNodeModel, type OnnxInitializer, type OnnxNode, type OnnxValue } from './onnx-model.ts';

interface OrtTensor {
  readonly data: Float32Array | BigInt64Array;
}

interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

interface Ort {
  env: { logLevel?: string; versions?: Record<string, string>; wasm: { numThreads?: number } };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
}

export type OrtFlavour = 'web' | 'node';

export interface OrtPeerOptions {
  threads: number;
  /** Only these workloads (the two-thread run covers just the max-pool). */
  kernels?: readonly KernelName[];
}

export async function loadOnnxRuntime(flavour: OrtFlavour, opts: OrtPeerOptions): Promise<Peer> {
  const ort = await importPeer<Ort>(`onnxruntime-${flavour}`);
  ort.env.logLevel = 'error';
  // ort-web fixes its thread count when its wasm starts, with the first session.
  if (flavour === 'web') ort.env.wasm.numThreads = opts.threads;
  const sessionOptions = {
    executionProviders: [flavour === 'web' ? 'wasm' : 'cpu'],
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  const version = ort.env.versions?.[flavour] ?? ort.env.versions?.common ?? '?';
  const threads = opts.threads === 1 ? 'one thread' : `${opts.threads} threads`;
  const name = `ort-${flavour}${opts.threads === 1 ? '' : ` x${opts.threads}`}`;
  return {
    name,
    description: `onnxruntime-${flavour} ${version}: ${flavour === 'web' ? 'wasm SIMD build' : 'native CPU execution provider'}, ${threads}${opts.kernels ? ` (${opts.kernels.join(', ')} only)` : ''}`,
    notes: ['ort-*: one-node ONNX models (MatMul, Conv with the bias, ConvTranspose, MaxPool with its Indices output) in NCHW; weights and the matmul B are initializers'],
    prepare: async (w) => {
      if (opts.kernels && !opts.kernels.includes(w.kernel)) return null;
      return prepare(ort, sessionOptions, w);
    },
  };
}

async function prepare(ort: Ort, sessionOptions: Record<string, unknown>, w: Workload): Promise<PeerRun | null> {
  const model = oneNode(w);
  if (!model) return null;
  const session = await ort.InferenceSession.create(oneNodeModel(model.node, [model.input], model.outputs, model.initializers), sessionOptions);
  const feeds = { [model.input.name]: new ort.Tensor('float32', model.inputData, model.input.shape) };
  const run = async () => {
    const out = await session.run(feeds);
    return model.outputs.map((o) => out[o.name].data);
  };
  const output = async (): Promise<Output> => {
    const [values, indices] = await run();
    if (!indices) return { values: values as Float32Array };
    // ONNX's index is flat over the whole (N,C,H,W) input; one image, so minus the plane's start
    const plane = w.inputs.kernel === 'max_pool2d_switches' ? w.inputs.h * w.inputs.w : 1;
    return { values: values as Float32Array, switches: Int32Array.from(indices as BigInt64Array, (i) => Number(i) % plane) };
  };
  return { run, output, dispose: () => session.release() };
}

interface OneNode {
  node: OnnxNode;
  input: OnnxValue;
  inputData: Float32Array;
  outputs: OnnxValue[];
  initializers: OnnxInitializer[];
}

const float = (name: string, shape: readonly number[]): OnnxValue => ({ name, elemType: ONNX_FLOAT, shape });

/** null for the depthwise workloads: Conv's group is an INT attribute, which onnx-model.ts does not write. */
function oneNode(w: Workload): OneNode | null {
  const p = w.inputs;
  switch (p.kernel) {
    case 'matmul':
      return {
        node: { opType: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] },
        input: float('a', [p.m, p.k]), inputData: p.a.data,
        outputs: [float('y', [p.m, p.n])],
        initializers: [{ name: 'b', shape: [p.k, p.n], data: p.b.data }],
      };
    case 'conv2d': {
      const { h, w: wd, kh, kw, cin, cout, stride } = p.conv;
      const { oh, ow } = p;
      return {
        node: { opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], ints: { kernel_shape: [kh, kw], strides: [stride, stride], pads: [p.pad.top, p.pad.left, p.pad.bottom, p.pad.right] } },
        input: float('x', [1, cin, h, wd]), inputData: p.x.data,
        outputs: [float('y', [1, cout, oh, ow])],
        initializers: [{ name: 'w', shape: p.weight.shape, data: p.weight.data }, { name: 'b', shape: [cout], data: p.bias.data }],
      };
    }
    case 'conv2d_backward_data': {
      const { h, w: wd, kh, kw, cin, cout, stride } = p.conv;
      const { oh, ow } = p;
      const { top, left, bottom, right } = p.pad;
      // ConvTranspose's output is stride * (in - 1) + k - pads + output_padding; the padding makes it exactly H x W
      const outputPadding = [h - (stride * (oh - 1) + kh - top - bottom), wd - (stride * (ow - 1) + kw - left - right)];
      return {
        // ConvTranspose's weight is (C_in, C_out, KH, KW) of the transposed op: the forward conv's (Cout, Cin, KH, KW) as it is
        node: { opType: 'ConvTranspose', inputs: ['dy', 'w'], outputs: ['dx'], ints: { kernel_shape: [kh, kw], strides: [stride, stride], pads: [top, left, bottom, right], output_padding: outputPadding } },
        input: float('dy', [1, cout, oh, ow]), inputData: p.dy.data,
        outputs: [float('dx', [1, cin, h, wd])],
        initializers: [{ name: 'w', shape: p.weight.shape, data: p.weight.data }],
      };
    }
    case 'depthwise_conv2d':
    case 'depthwise_conv2d_backward_data':
      return null;
    case 'max_pool2d_switches': {
      const { c, h, w: wd, pool } = p;
      const out = [1, c, Math.floor(h / pool), Math.floor(wd / pool)];
      return {
        node: { opType: 'MaxPool', inputs: ['x'], outputs: ['y', 'indices'], ints: { kernel_shape: [pool, pool], strides: [pool, pool] } },
        input: float('x', [1, c, h, wd]), inputData: p.x.data,
        outputs: [float('y', out), { name: 'indices', elemType: ONNX_INT64, shape: out }],
        initializers: [],
      };
    }
  }
}
