// MobileNetV2 and ResNet50 (or any tf.keras Functional graph of the layer classes below, each
// called once) through the peers, for `npm run bench:models`: built from the .h5's own config and weights as
// read by keras-h5-graph.ts, so convscope's loader is checked along with its kernels.
// - tfjs-backend-wasm, NHWC as Keras: the ops tfjs-layers runs for these layers (tf.conv2d,
//   tf.depthwiseConv2d, tf.batchNorm, tf.relu6, tf.pad, tf.add, tf.mean, tf.matMul + bias,
//   tf.softmax) under tf.tidy; or `folded`, as a tfjs graph model converted from a SavedModel
//   runs it: each BatchNormalization folded into its convolution's kernel and bias, the ReLU(6)
//   fused (tf.fused.conv2d / tf.fused.depthwiseConv2d with bias and relu6).
//   ResNet50's Activation('relu') is tf.relu (fused as 'relu'), its MaxPooling2D tf.maxPool.
// - onnxruntime-web / -node: one hand-encoded ONNX graph in NCHW (Conv, Conv with group = C for
//   the depthwise ones, BatchNormalization, Clip(0, 6), Relu, MaxPool, Pad, Add, GlobalAveragePool,
//   Flatten, Gemm, Softmax), every weight an initializer; onnxruntime folds and fuses as it does
//   for any model.
// A timed run is the forward of one image plus the read-back of the class scores.
import type { Tensor } from '../../src/tensor.ts';
import { chwToHwc, hwcToChw } from './peer.ts';
import { graphModel, ONNX_FLOAT, type OnnxInitializer, type OnnxNode } from './onnx-model.ts';
import { SIMD_BUILD, startTfjsWasm } from './tfjs-start.ts';
import type { KerasGraph, KerasGraphLayer, KerasWeight } from './keras-h5-graph.ts';
import type { NetworkRun } from './vgg16.ts';

export const ONNX_OPS = 'Conv, Conv group=C, BatchNormalization, Clip, Pad, Add, GlobalAveragePool, Flatten, Gemm, Softmax';
export const RESNET_ONNX_OPS = 'Conv, BatchNormalization, Relu, MaxPool, Pad, Add, GlobalAveragePool, Flatten, Gemm, Softmax';

type Pad = 'same' | 'valid';

/** A layer's config read as the peers need it; throws on anything they do not build. */
function conv(l: KerasGraphLayer): { strides: number; pad: Pad; kernel: KerasWeight; bias?: KerasWeight } {
  const c = l.config as { strides: number[]; padding: Pad; dilation_rate: number[]; activation: string; data_format: string };
  if (c.strides[0] !== c.strides[1] || c.dilation_rate.some((d) => d !== 1) || c.activation !== 'linear' || c.data_format !== 'channels_last') {
    throw new Error(`${l.name}: only square strides, no dilation, linear activation, channels_last`);
  }
  const kernel = l.weights.get(l.className === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel')!;
  return { strides: c.strides[0], pad: c.padding, kernel, bias: l.weights.get('bias') };
}

function relu6(l: KerasGraphLayer): void {
  const c = l.config as { max_value: number | null; negative_slope: number; threshold: number };
  if (c.max_value !== 6 || c.negative_slope !== 0 || c.threshold !== 0) throw new Error(`${l.name}: only ReLU(max_value=6)`);
}

/** The activation a ReLU(6) layer or an Activation('relu') layer applies, for the fused ops; null for any other layer. */
function fusable(l: KerasGraphLayer | undefined): 'relu6' | 'relu' | null {
  if (l?.className === 'ReLU') return (relu6(l), 'relu6');
  if (l?.className === 'Activation') return (activationRelu(l), 'relu');
  return null;
}

function activationRelu(l: KerasGraphLayer): void {
  if ((l.config as { activation: string }).activation !== 'relu') throw new Error(`${l.name}: only Activation('relu')`);
}

/** MaxPooling2D's square window, stride and padding ('valid' here: ResNet50 pads with a ZeroPadding2D first). */
function maxPool(l: KerasGraphLayer): { size: number; strides: number; pad: Pad } {
  const c = l.config as { pool_size: number[]; strides: number[]; padding: Pad; data_format: string };
  if (c.pool_size[0] !== c.pool_size[1] || c.strides[0] !== c.strides[1] || c.padding !== 'valid' || c.data_format !== 'channels_last') {
    throw new Error(`${l.name}: only square windows and strides, valid padding, channels_last`);
  }
  return { size: c.pool_size[0], strides: c.strides[0], pad: c.padding };
}

/** BatchNormalization as y = x * scale + shift per channel (inference). */
function bnAffine(l: KerasGraphLayer): { scale: Float32Array; shift: Float32Array } {
  const eps = (l.config as { epsilon: number }).epsilon;
  const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((k) => l.weights.get(k)!.data);
  const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + eps));
  return { scale, shift: beta.map((b, c) => b - mean[c] * scale[c]) };
}

function dense(l: KerasGraphLayer): 'softmax' | 'linear' {
  const activation = (l.config as { activation: string }).activation;
  if (activation !== 'softmax' && activation !== 'linear') throw new Error(`${l.name}: only Dense with softmax or no activation`);
  return activation;
}

const padding = (l: KerasGraphLayer) => (l.config as { padding: [[number, number], [number, number]] }).padding;

// ---- tfjs-backend-wasm ----

interface TfTensor {
  readonly shape: number[];
  dataSync(): Float32Array;
  dispose(): void;
}

interface TfCore {
  tensor(values: Float32Array, shape: number[]): TfTensor;
  tidy<T extends TfTensor>(fn: () => T): T;
  conv2d(x: TfTensor, filter: TfTensor, strides: number, pad: Pad): TfTensor;
  depthwiseConv2d(x: TfTensor, filter: TfTensor, strides: number, pad: Pad): TfTensor;
  batchNorm(x: TfTensor, mean: TfTensor, variance: TfTensor, offset: TfTensor, scale: TfTensor, varianceEpsilon: number): TfTensor;
  relu6(x: TfTensor): TfTensor;
  relu(x: TfTensor): TfTensor;
  maxPool(x: TfTensor, filterSize: number, strides: number, pad: Pad): TfTensor;
  pad(x: TfTensor, paddings: [number, number][]): TfTensor;
  add(a: TfTensor, b: TfTensor): TfTensor;
  mean(x: TfTensor, axis: number[]): TfTensor;
  matMul(a: TfTensor, b: TfTensor): TfTensor;
  softmax(x: TfTensor): TfTensor;
  fused: {
    conv2d(args: { x: TfTensor; filter: TfTensor; bias: TfTensor; strides: number; pad: Pad; activation?: string }): TfTensor;
    depthwiseConv2d(args: { x: TfTensor; filter: TfTensor; bias: TfTensor; strides: number; pad: Pad; activation?: string }): TfTensor;
  };
}

export interface GraphRun extends NetworkRun {
  /** One node's output for the image, (C,H,W), untimed: for the check against convscope's. */
  node(name: string): Promise<Float32Array>;
}

interface TfStep {
  name: string;
  inputs: string[];
  apply(xs: TfTensor[]): TfTensor;
}

/**
 * The graph on tfjs-backend-wasm (SIMD, one thread). `folded`: every Conv2D/DepthwiseConv2D
 * whose only consumer is a BatchNormalization takes that BatchNormalization into its kernel and
 * bias, and the ReLU(6) after it into the fused op; the step keeps the last absorbed layer's name.
 */
export async function tfjsGraph(graph: KerasGraph, image: Tensor, folded: boolean): Promise<GraphRun> {
  const { tf, version } = await startTfjsWasm<TfCore>();
  const held: TfTensor[] = [];
  const hold = (values: Float32Array, shape: number[]) => {
    const t = tf.tensor(values, shape);
    held.push(t);
    return t;
  };
  const consumers = new Map<string, string[]>();
  for (const l of graph.layers) for (const i of l.inputs) consumers.set(i, [...(consumers.get(i) ?? []), l.name]);
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const onlyConsumer = (name: string) => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 ? byName.get(c[0]) : undefined;
  };

  const [input, ...rest] = graph.layers;
  if (input.className !== 'InputLayer') throw new Error(`${input.name}: the first layer is not the InputLayer`);
  const [h, w, c] = (input.config as { batch_input_shape: number[] }).batch_input_shape.slice(1);
  const x = hold(chwToHwc(image.data, c, h, w), [1, h, w, c]);
  const steps: TfStep[] = [];
  const absorbed = new Set<string>();
  for (const l of rest) {
    if (absorbed.has(l.name)) continue;
    const step = (apply: TfStep['apply'], name = l.name) => steps.push({ name, inputs: l.inputs, apply });
    switch (l.className) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const { strides, pad, kernel, bias } = conv(l);
        const depthwise = l.className === 'DepthwiseConv2D';
        const bn = onlyConsumer(l.name);
        if (folded && bn?.className === 'BatchNormalization') {
          const { scale, shift } = bnAffine(bn);
          const channels = scale.length;
          const k = kernel.data.map((v, i) => v * scale[i % channels]); // HWIO / (KH,KW,C,1): the output channel is the fastest axis
          const b = shift.map((s, ch) => s + (bias ? bias.data[ch] * scale[ch] : 0));
          const relu = onlyConsumer(bn.name);
          const fused = fusable(relu);
          absorbed.add(bn.name);
          if (fused) absorbed.add(relu!.name);
          const filter = hold(k, kernel.shape);
          const biasT = hold(b, [channels]);
          const op = depthwise ? tf.fused.depthwiseConv2d : tf.fused.conv2d;
          step(([a]) => op({ x: a, filter, bias: biasT, strides, pad, activation: fused ?? 'linear' }), fused ? relu!.name : bn.name);
          break;
        }
        const filter = hold(kernel.data, kernel.shape);
        const biasT = bias && hold(bias.data, bias.shape);
        const op = depthwise ? tf.depthwiseConv2d : tf.conv2d;
        step(([a]) => {
          const y = op(a, filter, strides, pad);
          return biasT ? tf.add(y, biasT) : y;
        });
        break;
      }
      case 'BatchNormalization': {
        const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((k) => l.weights.get(k)!).map((t) => hold(t.data, t.shape));
        const eps = (l.config as { epsilon: number }).epsilon;
        step(([a]) => tf.batchNorm(a, mean, variance, beta, gamma, eps));
        break;
      }
      case 'ReLU':
        relu6(l);
        step(([a]) => tf.relu6(a));
        break;
      case 'Activation':
        activationRelu(l);
        step(([a]) => tf.relu(a));
        break;
      case 'MaxPooling2D': {
        const { size, strides, pad } = maxPool(l);
        step(([a]) => tf.maxPool(a, size, strides, pad));
        break;
      }
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = padding(l);
        step(([a]) => tf.pad(a, [[0, 0], [top, bottom], [left, right], [0, 0]]));
        break;
      }
      case 'Add':
        step((xs) => xs.reduce((a, b) => tf.add(a, b)));
        break;
      case 'GlobalAveragePooling2D':
        step(([a]) => tf.mean(a, [1, 2]));
        break;
      case 'Dense': {
        const activation = dense(l);
        const kernel = l.weights.get('kernel')!;
        const b = hold(kernel.data, kernel.shape);
        const bias = hold(l.weights.get('bias')!.data, [kernel.shape[1]]);
        step(([a]) => {
          const z = tf.add(tf.matMul(a, b), bias);
          return activation === 'softmax' ? tf.softmax(z) : z;
        });
        break;
      }
      default:
        throw new Error(`${l.name}: layer class ${l.className} is not built for the peers`);
    }
  }
  /** Runs the steps up to the one named `until`; its output, NHWC or (1, classes). */
  const forward = (until: string) => tf.tidy(() => {
    const values = new Map<string, TfTensor>([[input.name, x]]);
    for (const s of steps) {
      values.set(s.name, s.apply(s.inputs.map((i) => values.get(i)!)));
      if (s.name === until) return values.get(until)!;
    }
    throw new Error(`no step ${until}${folded ? ' (folded into the convolution before it?)' : ''}`);
  });
  const readBack = (t: TfTensor) => {
    const data = t.dataSync();
    t.dispose();
    return data;
  };
  return {
    name: folded ? 'tfjs-wasm folded' : 'tfjs-wasm',
    description: `${version}, ${SIMD_BUILD} (XNNPACK), one thread, NHWC: ${folded
      ? 'BatchNormalization folded into the convolutions, tf.fused.conv2d / tf.fused.depthwiseConv2d with bias and relu6 / relu (as a tfjs graph model runs it)'
      : 'tf.conv2d, tf.depthwiseConv2d, tf.batchNorm, tf.relu6 / tf.relu, tf.maxPool, tf.pad, tf.add, tf.mean, tf.matMul + bias, tf.softmax (the ops tfjs-layers runs for these layers)'}`,
    run: async () => readBack(forward(graph.output)),
    node: async (name) => {
      const t = forward(name);
      const [, oh, ow, oc] = t.shape;
      return hwcToChw(readBack(t), oc, oh, ow);
    },
    dispose: () => held.forEach((t) => t.dispose()),
  };
}

// ---- onnxruntime ----

/** Keras/TensorFlow 'same': the padding before and after along one axis. */
function samePads(size: number, k: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + k - size, 0);
  return [total >> 1, total - (total >> 1)];
}

/** The graph as one ONNX model in NCHW: input `input` (1,C,H,W), output `scores` (1,classes). */
export function onnxGraph(graph: KerasGraph): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [
    { name: 'zero', shape: [], data: Float32Array.of(0) },
    { name: 'six', shape: [], data: Float32Array.of(6) },
  ];
  const weight = (name: string, shape: number[], data: Float32Array) => {
    initializers.push({ name, shape, data });
    return name;
  };
  /** Each node's output (H, W, C). */
  const shapes = new Map<string, [number, number, number]>();
  const [input, ...rest] = graph.layers;
  const [h0, w0, c0] = (input.config as { batch_input_shape: number[] }).batch_input_shape.slice(1);
  shapes.set(input.name, [h0, w0, c0]);
  const value = (name: string) => (name === input.name ? 'input' : name === graph.output ? 'scores' : name);
  for (const l of rest) {
    const ins = l.inputs.map(value);
    const [h, w, c] = shapes.get(l.inputs[0])!;
    const out = value(l.name);
    const node = (opType: string, inputs: string[], attrs: Omit<OnnxNode, 'opType' | 'inputs' | 'outputs'> = {}, output = out) => nodes.push({ opType, inputs, outputs: [output], ...attrs });
    switch (l.className) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const { strides, pad, kernel, bias } = conv(l);
        const [kh, kw, cin, last] = kernel.shape;
        const depthwise = l.className === 'DepthwiseConv2D';
        const cout = depthwise ? cin * last : last;
        // Keras HWIO (KH,KW,Cin,Cout) to OIHW; a depthwise (KH,KW,C,M) to (C*M, 1, KH, KW): output channel ci*M + m is the fastest axis either way
        const oihw = new Float32Array(kernel.data.length);
        const perOut = depthwise ? 1 : cin;
        for (let k = 0; k < kh * kw; k++) {
          for (let i = 0; i < cin * last; i++) {
            const [o, ci] = depthwise ? [i, 0] : [i % cout, Math.floor(i / cout)];
            oihw[(o * perOut + ci) * kh * kw + k] = kernel.data[k * cin * last + i];
          }
        }
        const [top, bottom] = pad === 'same' ? samePads(h, kh, strides) : [0, 0];
        const [left, right] = pad === 'same' ? samePads(w, kw, strides) : [0, 0];
        const inputs = [ins[0], weight(`${l.name}_w`, [cout, perOut, kh, kw], oihw), ...(bias ? [weight(`${l.name}_b`, [cout], bias.data)] : [])];
        node('Conv', inputs, { ints: { kernel_shape: [kh, kw], strides: [strides, strides], pads: [top, left, bottom, right] }, int: { group: depthwise ? cin : 1 } });
        const oh = pad === 'same' ? Math.ceil(h / strides) : Math.floor((h - kh) / strides) + 1;
        const ow = pad === 'same' ? Math.ceil(w / strides) : Math.floor((w - kw) / strides) + 1;
        shapes.set(l.name, [oh, ow, cout]);
        continue;
      }
      case 'BatchNormalization': {
        const names = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((k) => weight(`${l.name}_${k}`, [c], l.weights.get(k)!.data));
        node('BatchNormalization', [ins[0], ...names], { float: { epsilon: (l.config as { epsilon: number }).epsilon } });
        break;
      }
      case 'ReLU':
        relu6(l);
        node('Clip', [ins[0], 'zero', 'six']);
        break;
      case 'Activation':
        activationRelu(l);
        node('Relu', ins);
        break;
      case 'MaxPooling2D': {
        const { size, strides } = maxPool(l);
        node('MaxPool', ins, { ints: { kernel_shape: [size, size], strides: [strides, strides], pads: [0, 0, 0, 0] } });
        shapes.set(l.name, [Math.floor((h - size) / strides) + 1, Math.floor((w - size) / strides) + 1, c]);
        continue;
      }
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = padding(l);
        initializers.push({ name: `${l.name}_pads`, shape: [8], data: BigInt64Array.from([0, 0, top, left, 0, 0, bottom, right].map(BigInt)) });
        node('Pad', [ins[0], `${l.name}_pads`]);
        shapes.set(l.name, [h + top + bottom, w + left + right, c]);
        continue;
      }
      case 'Add':
        node('Add', ins);
        break;
      case 'GlobalAveragePooling2D':
        node('GlobalAveragePool', ins, {}, `${out}_4d`);
        node('Flatten', [`${out}_4d`]);
        shapes.set(l.name, [1, 1, c]);
        continue;
      case 'Dense': {
        const activation = dense(l);
        const kernel = l.weights.get('kernel')!;
        const inputs = [ins[0], weight(`${l.name}_w`, kernel.shape, kernel.data), weight(`${l.name}_b`, [kernel.shape[1]], l.weights.get('bias')!.data)];
        if (activation === 'softmax') {
          node('Gemm', inputs, {}, `${out}_z`);
          node('Softmax', [`${out}_z`]);
        } else {
          node('Gemm', inputs);
        }
        shapes.set(l.name, [1, 1, kernel.shape[1]]);
        continue;
      }
      default:
        throw new Error(`${l.name}: layer class ${l.className} is not built for the peers`);
    }
    shapes.set(l.name, [h, w, c]);
  }
  const classes = shapes.get(graph.output)![2];
  return graphModel(`convscope_${graph.name.replace(/\W/g, '_')}`, nodes, [{ name: 'input', elemType: ONNX_FLOAT, shape: [1, c0, h0, w0] }], [{ name: 'scores', elemType: ONNX_FLOAT, shape: [1, classes] }], initializers);
}
