// The public API of convscope.
export { Tensor, sizeOf, formatShape, kerasPadding2d, samePadding, type Padding2d } from './tensor.ts';
export { conv2d, conv2dBackwardData, conv2dBackwardFilter, type Conv2dOptions } from './ops/conv2d.ts';
export { maxPool2d, maxUnpool2d, avgPool2d, avgPool2dBackward, type Pool2dOptions, type MaxPoolResult } from './ops/pool2d.ts';
export { matmul, type MatmulOptions } from './ops/matmul.ts';
export { relu, reluBackward, sigmoid, tanh, sigmoidBackward, tanhBackward, add, mul, scale } from './ops/eltwise.ts';
export { softmax } from './ops/softmax.ts';
export { channelAffine } from './ops/channel-affine.ts';
export { useKernels, withKernels, kernels, defaultKernelSetName } from './runtime/backend.ts';
export { provideWasmBytes, wasmSimdSupported } from './runtime/wasm-module.ts';
export type { KernelSetName, ReluRule } from './runtime/kernel-set.ts';
export { parseNpy, toNpy, readNpy, readNpyTensor, writeNpy } from './io/npy.ts';
