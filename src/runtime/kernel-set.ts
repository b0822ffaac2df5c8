import { wasmRelaxedSimdSupported, wasmThreadsModule } from './wasm-module.ts';
import { threadsUnavailable } from './wasm-threads-worker.ts';

/**
 * The array-level kernel interface. Six implementations share it: the TypeScript
 * reference (src/reference/), the wasm scalar, SIMD and relaxed SIMD builds
 * (src/runtime/wasm-kernels.ts), and the SIMD and relaxed SIMD kernels on two threads
 * (src/runtime/wasm-threads.ts).
 * Ops (src/ops/) validate shapes and allocate outputs; kernels trust their arguments and
 * write into the output arrays they are given. Every layout is row-major, channels-first.
 */

/** Geometry of a 2-D convolution over a batch. Padding below/right is implied by oh/ow. */
export interface ConvGeometry {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
  oh: number;
  ow: number;
}

/**
 * Geometry of a 2-D pooling window over `planes` independent (H, W) planes (N*C of them).
 * Padding below/right is implied by oh/ow; padded positions never win a max and do not
 * count in an average (Keras semantics).
 */
export interface PoolGeometry {
  planes: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  oh: number;
  ow: number;
}

/** How a backward net maps a signal through a ReLU (SEMANTICS.md). */
export type ReluRule = 'salinet' | 'deconvnet' | 'guided';
export const RELU_RULES: readonly ReluRule[] = ['salinet', 'deconvnet', 'guided'];

/** The element-wise activations with kernels of their own: the hot ones (MobileNet, EfficientNet, ConvNeXt). */
export type KernelActivation = 'relu6' | 'swish' | 'hard_swish' | 'gelu' | 'gelu_tanh';
export const KERNEL_ACTIVATIONS: readonly KernelActivation[] = ['relu6', 'swish', 'hard_swish', 'gelu', 'gelu_tanh'];

/** Whether a bias is added per row of the output (conv: per output channel) or per column (dense: per unit). */
export type BiasAxis = 'row' | 'col';

export interface KernelSet {
  readonly name: KernelSetName;

  /** y[n, cout, oh, ow] = bias[cout] + sum x[n, ci, oh*sh - pt + kh*dh, ...] * w[cout, ci, kh, kw]. */
  conv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void;
  /** dx[n, cin, h, w] = the adjoint of conv2d (no bias) applied to dy[n, cout, oh, ow]. Overwrites dx. */
  conv2dBackwardData(g: ConvGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** dw[cout, cin, kh, kw] and db[cout]: gradients of sum(dy * conv2d(x)) summed over the batch. Overwrites both. */
  conv2dBackwardFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array): void;

  /**
   * Depthwise: g.cout = g.cin * M, and output channel co = ci*M + m is input channel ci correlated
   * with its own filter: y[n, co, oh, ow] = bias[co] + sum x[n, co / M, ...] * w[co, 0, kh, kw].
   */
  depthwiseConv2d(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void;
  /** dx[n, cin, h, w] = the adjoint of depthwiseConv2d (no bias) applied to dy[n, cout, oh, ow]. Overwrites dx. */
  depthwiseConv2dBackwardData(g: ConvGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** dw[co, 0, kh, kw] and db[co]: gradients of sum(dy * depthwiseConv2d(x)) summed over the batch. Overwrites both. */
  depthwiseConv2dBackwardFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array): void;

  /** y = window max; switches = index (row * w + col) within the input plane of the first max in row-major order. */
  maxPool2d(g: PoolGeometry, x: Float32Array, y: Float32Array, switches: Int32Array): void;
  /**
   * dx (planes, h, w) = zeros, then dx[plane][switches[i]] += r[i]. Overwrites dx. Returns -1, or
   * the index of the first switch outside [0, h*w) (dx is then unspecified).
   */
  maxUnpool2d(g: PoolGeometry, r: Float32Array, switches: Int32Array, dx: Float32Array): number;
  /** y = mean over the window's in-bounds positions. */
  avgPool2d(g: PoolGeometry, x: Float32Array, y: Float32Array): void;
  /** dx = adjoint of avgPool2d applied to dy. Overwrites dx. */
  avgPool2dBackward(g: PoolGeometry, dy: Float32Array, dx: Float32Array): void;

  /**
   * c[m, n] = op(a)[m, k] * op(b)[k, n] (+ bias). op(a) is a (m, k) or, with transA, a stored as (k, m);
   * op(b) is b (k, n) or, with transB, b stored as (n, k). bias has m values (axis 'row') or n ('col').
   */
  matmul(
    m: number, n: number, k: number,
    a: Float32Array, transA: boolean,
    b: Float32Array, transB: boolean,
    bias: Float32Array | null, biasAxis: BiasAxis,
    c: Float32Array,
  ): void;

  relu(x: Float32Array, y: Float32Array): void;
  /** out = rule(r, z): salinet r*[z>0], deconvnet max(r,0), guided max(r,0)*[z>0]. */
  reluBackward(rule: ReluRule, r: Float32Array, z: Float32Array, out: Float32Array): void;
  sigmoid(x: Float32Array, y: Float32Array): void;
  tanh(x: Float32Array, y: Float32Array): void;
  /** out = r * a * (1 - a), where a = sigmoid(z) is the forward output. */
  sigmoidBackward(r: Float32Array, a: Float32Array, out: Float32Array): void;
  /** out = r * (1 - a^2), where a = tanh(z) is the forward output. */
  tanhBackward(r: Float32Array, a: Float32Array, out: Float32Array): void;
  /**
   * y = f(x): relu6 min(max(x, 0), 6); swish x*sigmoid(x); hard_swish x*relu6(x+3)/6;
   * gelu x*Phi(x) (the normal CDF); gelu_tanh 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))).
   */
  activation(fn: KernelActivation, x: Float32Array, y: Float32Array): void;
  /**
   * out = r * f'(z). relu6 is ReLU-like and follows the rule (salinet r*[0<z<6], deconvnet
   * max(r,0), guided max(r,0)*[0<z<6]); the smooth ones ignore it.
   */
  activationBackward(fn: KernelActivation, rule: ReluRule, r: Float32Array, z: Float32Array, out: Float32Array): void;
  /** Row-wise softmax of x (rows, cols), numerically stable (max subtracted). */
  softmax(rows: number, cols: number, x: Float32Array, y: Float32Array): void;
  /** y[n, c, i] = x[n, c, i] * scale[c] + shift[c] for x laid out (n, channels, inner). */
  channelAffine(n: number, channels: number, inner: number, x: Float32Array, scale: Float32Array, shift: Float32Array, y: Float32Array): void;
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void;
  scale(a: Float32Array, s: number, out: Float32Array): void;
  /**
   * One Keras 2 Adam step on the weights w with gradient g, in place: m += (g - m) * (1 - beta1);
   * v += (g^2 - v) * (1 - beta2); w -= alpha * m / (sqrt(v) + epsilon), alpha the step's rate
   * lr * sqrt(1 - beta2^t) / (1 - beta1^t). w, m and v change; all four have the same length.
   */
  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, alpha: number, beta1: number, beta2: number, epsilon: number): void;
}

export type ThreadedKernelSetName = 'simd-2t' | 'relaxed-2t';
export type KernelSetName = 'reference' | 'scalar' | 'simd' | 'relaxed' | ThreadedKernelSetName;

/** Whether this thread can run a two-thread set on a build: the threads build validates and this thread may block. */
function threadsListed(build: 'simd' | 'relaxed'): boolean {
  return wasmThreadsModule(build) !== null && threadsUnavailable('', build) === null;
}

/**
 * The kernel sets this runtime can run, which tests and benchmarks walk: 'relaxed' is listed only
 * where the runtime validates the relaxed SIMD build (Node 22+, browsers; Node 20 with
 * --experimental-wasm-relaxed-simd), 'simd-2t' and 'relaxed-2t' (the SIMD and relaxed SIMD
 * kernels on two threads, bit-identical to 'simd' and 'relaxed': src/runtime/wasm-threads.ts)
 * only where it has shared wasm memory and this thread may block (in a browser: a Worker of a
 * cross-origin isolated page).
 */
export const KERNEL_SET_NAMES: readonly KernelSetName[] = [
  'reference', 'scalar', 'simd',
  ...(wasmRelaxedSimdSupported() ? ['relaxed' as const] : []),
  ...(threadsListed('simd') ? ['simd-2t' as const] : []),
  ...(wasmRelaxedSimdSupported() && threadsListed('relaxed') ? ['relaxed-2t' as const] : []),
];
