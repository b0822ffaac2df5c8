// tfjs-backend-wasm (XNNPACK inside) as a peer. tfjs is channels-last: inputs are NHWC and
// filters (KH,KW,Cin,Cout), converted once before timing; outputs are converted back for the check.
import type { Output, Workload } from '../workloads.ts';
import { chwToHwc, hwcToChw, oihwToHwio, type Peer, type PeerRun } from './peer.ts';
import { SIMD_BUILD, startTfjsWasm } from './tfjs-start.ts';

interface TfTensor {
  dataSync(): Float32Array | Int32Array;
  dispose(): void;
}

type Pad = 'same' | 'valid';

interface TfCore {
  tensor(values: Float32Array, shape: number[]): TfTensor;
  matMul(a: TfTensor, b: TfTensor): TfTensor;
  fused: {
    conv2d(args: { x: TfTensor; filter: TfTensor; bias: TfTensor; strides: number; pad: Pad }): TfTensor;
    depthwiseConv2d(args: { x: TfTensor; filter: TfTensor; bias: TfTensor; strides: number; pad: Pad }): TfTensor;
  };
  conv2dTranspose(dy: TfTensor, filter: TfTensor, outputShape: number[], strides: number, pad: Pad): TfTensor;
  maxPoolWithArgmax(x: TfTensor, filterSize: number, strides: number, pad: Pad, includeBatchInIndex: boolean): { result: TfTensor; indexes: TfTensor };
}

export async function loadTfjsWasm(): Promise<Peer> {
  const { tf, version } = await startTfjsWasm<TfCore>();
  return {
    name: 'tfjs-wasm',
    description: `${version}: ${SIMD_BUILD} (XNNPACK), one thread; its threaded build does not start in Node`,
    notes: [
      'tfjs-wasm runs channels-last (NHWC inputs, (KH,KW,Cin,Cout) filters) as it requires; converted once, before timing',
      'tfjs-wasm: conv2d is tf.fused.conv2d with the bias, depthwise is tf.fused.depthwiseConv2d with the bias, backward data is tf.conv2dTranspose, max-pool is tf.maxPoolWithArgmax (values and indexes read back)',
      'tfjs-wasm 4.22: maxPoolWithArgmax gives 1.2e-38 (FLT_MIN) and index 0 for every window whose values are all negative (1 in 16 windows of these random inputs), hence its max-pool check fails; its maxPool gets them right',
    ],
    prepare: async (w) => prepare(tf, w),
  };
}

function prepare(tf: TfCore, w: Workload): PeerRun | null {
  const held: TfTensor[] = [];
  const hold = (values: Float32Array, shape: number[]) => {
    const t = tf.tensor(values, shape);
    held.push(t);
    return t;
  };
  const dispose = () => held.forEach((t) => t.dispose());
  const readBack = (t: TfTensor) => {
    const data = t.dataSync();
    t.dispose();
    return data;
  };
  const p = w.inputs;
  switch (p.kernel) {
    case 'matmul': {
      const a = hold(p.a.data, [p.m, p.k]);
      const b = hold(p.b.data, [p.k, p.n]);
      const run = () => readBack(tf.matMul(a, b)) as Float32Array;
      return { run, output: async () => ({ values: run() }), dispose };
    }
    case 'conv2d': {
      const { h, w: wd, kh, kw, cin, cout, stride, padding } = p.conv;
      const x = hold(chwToHwc(p.x.data, cin, h, wd), [1, h, wd, cin]);
      const filter = hold(oihwToHwio(p.weight.data, cout, cin, kh, kw), [kh, kw, cin, cout]);
      const bias = hold(p.bias.data, [cout]);
      const run = () => readBack(tf.fused.conv2d({ x, filter, bias, strides: stride, pad: padding })) as Float32Array;
      return { run, output: async () => ({ values: hwcToChw(run(), cout, p.oh, p.ow) }), dispose };
    }
    case 'conv2d_backward_data': {
      const { h, w: wd, kh, kw, cin, cout, stride, padding } = p.conv;
      const dy = hold(chwToHwc(p.dy.data, cout, p.oh, p.ow), [1, p.oh, p.ow, cout]);
      const filter = hold(oihwToHwio(p.weight.data, cout, cin, kh, kw), [kh, kw, cin, cout]);
      const run = () => readBack(tf.conv2dTranspose(dy, filter, [1, h, wd, cin], stride, padding)) as Float32Array;
      return { run, output: async () => ({ values: hwcToChw(run(), cin, h, wd) }), dispose };
    }
    case 'depthwise_conv2d': {
      const { h, w: wd, kh, kw, cin, stride, padding } = p.conv;
      const x = hold(chwToHwc(p.x.data, cin, h, wd), [1, h, wd, cin]);
      // (Cin, 1, KH, KW) with multiplier 1 is the OIHW of a (KH, KW, Cin, 1) filter
      const filter = hold(oihwToHwio(p.weight.data, cin, 1, kh, kw), [kh, kw, cin, 1]);
      const bias = hold(p.bias.data, [cin]);
      const run = () => readBack(tf.fused.depthwiseConv2d({ x, filter, bias, strides: stride, pad: padding })) as Float32Array;
      return { run, output: async () => ({ values: hwcToChw(run(), cin, p.oh, p.ow) }), dispose };
    }
    case 'depthwise_conv2d_backward_data':
      return null; // tfjs has no public op for it (its gradient kernel is not in the wasm backend)
    case 'max_pool2d_switches': {
      const { c, h, w: wd, pool } = p;
      const x = hold(chwToHwc(p.x.data, c, h, wd), [1, h, wd, c]);
      const run = () => {
        const { result, indexes } = tf.maxPoolWithArgmax(x, pool, pool, 'valid', false);
        return { values: readBack(result) as Float32Array, indexes: readBack(indexes) as Int32Array };
      };
      const output = async (): Promise<Output> => {
        const { values, indexes } = run();
        const [oh, ow] = [Math.floor(h / pool), Math.floor(wd / pool)];
        // tfjs's index is (row * W + col) * C + channel
        const switches = hwcToChw(indexes.map((i) => Math.floor(i / c)), c, oh, ow);
        return { values: hwcToChw(values, c, oh, ow), switches };
      };
      return { run, output, dispose };
    }
  }
}
