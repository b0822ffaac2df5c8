import type { KernelSet } from '../runtime/kernel-set.ts';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter } from './conv2d.ts';
import { depthwiseConv2d, depthwiseConv2dBackwardData, depthwiseConv2dBackwardFilter } from './depthwise-conv2d.ts';
import { maxPool2d, maxUnpool2d, avgPool2d, avgPool2dBackward } from './pool2d.ts';
import { matmul } from './matmul.ts';
import { relu, reluBackward, sigmoid, tanh, sigmoidBackward, tanhBackward, add, mul, scale } from './eltwise.ts';
import { activation, activationBackward } from './activations.ts';
import { softmax } from './softmax.ts';
import { channelAffine } from './channel-affine.ts';

/** Plain loops straight from the definitions in kernel-set.ts, accumulating in float64: the set the wasm kernels are checked against. */
export const referenceKernels: KernelSet = {
  name: 'reference',
  conv2d,
  conv2dBackwardData,
  conv2dBackwardFilter,
  depthwiseConv2d,
  depthwiseConv2dBackwardData,
  depthwiseConv2dBackwardFilter,
  maxPool2d,
  maxUnpool2d,
  avgPool2d,
  avgPool2dBackward,
  matmul,
  relu,
  reluBackward,
  sigmoid,
  tanh,
  sigmoidBackward,
  tanhBackward,
  activation,
  activationBackward,
  softmax,
  channelAffine,
  add,
  mul,
  scale,
};
