// Writes ResNet50 (He et al. 2016; keras.applications.ResNet50(input_shape=(224, 224, 3),
// include_top=True, classes=1000): 25,636,712 parameters) with seeded random weights as tf.keras
// 2.12's model.save('x.h5') writes it (bench/keras-graph-h5.ts). The layers, names and configs
// are keras/applications/resnet.py's: conv1_pad (ZeroPadding2D 3), conv1_conv (7x7/2, with a
// bias, as every ResNet conv), conv1_bn, conv1_relu (Activation), pool1_pad, pool1_pool
// (MaxPooling2D 3/2), stacks conv2..conv5 of block1's (1x1, 3x3, 1x1 convs, each with its
// BatchNormalization(epsilon=1.001e-5); the first block of a stack with a projection shortcut
// _0_conv/_0_bn; _add, _out), avg_pool (GlobalAveragePooling2D), predictions.
import { Graph, writeKerasGraph } from './keras-graph-h5.ts';

const EPSILON = 1.001e-5;
const MOMENTUM = 0.99;

/** keras.applications.resnet.block1: the bottleneck block, `filters` wide, 4 * filters out. */
function block1(g: Graph, x: string, cin: number, filters: number, stride: number, convShortcut: boolean, name: string): string {
  let shortcut = x;
  if (convShortcut) {
    shortcut = g.conv(`${name}_0_conv`, x, cin, 4 * filters, 1, stride, { bias: true });
    shortcut = g.bn(`${name}_0_bn`, shortcut, 4 * filters, EPSILON, MOMENTUM);
  }
  x = g.conv(`${name}_1_conv`, x, cin, filters, 1, stride, { bias: true });
  x = g.bn(`${name}_1_bn`, x, filters, EPSILON, MOMENTUM);
  x = g.layer('Activation', `${name}_1_relu`, { activation: 'relu' }, [x]);
  x = g.conv(`${name}_2_conv`, x, filters, filters, 3, 1, { bias: true });
  x = g.bn(`${name}_2_bn`, x, filters, EPSILON, MOMENTUM);
  x = g.layer('Activation', `${name}_2_relu`, { activation: 'relu' }, [x]);
  x = g.conv(`${name}_3_conv`, x, filters, 4 * filters, 1, 1, { bias: true });
  // a small gamma on the residual branch (as zero-gamma initialisation does) keeps the sum of 16 blocks at a unit-like scale
  x = g.bn(`${name}_3_bn`, x, 4 * filters, EPSILON, MOMENTUM, [0.1, 0.3]);
  x = g.layer('Add', `${name}_add`, {}, [shortcut, x]);
  return g.layer('Activation', `${name}_out`, { activation: 'relu' }, [x]);
}

/** [filters, blocks, first stride] of conv2..conv5, as ResNet50's stack_fn calls stack1. */
const STACKS: [number, number, number][] = [[64, 3, 1], [128, 4, 2], [256, 6, 2], [512, 3, 2]];

/** The layers of keras.applications.ResNet50(input_shape=(224, 224, 3), include_top=True) and their weights. */
function resnet50Graph(): Graph {
  const g = new Graph();
  let x = g.layer('ZeroPadding2D', 'conv1_pad', { padding: [[3, 3], [3, 3]], data_format: 'channels_last' }, [g.input('input_1', [224, 224, 3])]);
  x = g.conv('conv1_conv', x, 3, 64, 7, 2, { bias: true, padding: 'valid' });
  x = g.bn('conv1_bn', x, 64, EPSILON, MOMENTUM);
  x = g.layer('Activation', 'conv1_relu', { activation: 'relu' }, [x]);
  x = g.layer('ZeroPadding2D', 'pool1_pad', { padding: [[1, 1], [1, 1]], data_format: 'channels_last' }, [x]);
  x = g.layer('MaxPooling2D', 'pool1_pool', { pool_size: [3, 3], strides: [2, 2], padding: 'valid', data_format: 'channels_last' }, [x]);
  let cin = 64;
  STACKS.forEach(([filters, blocks, stride], s) => {
    const name = `conv${s + 2}`;
    x = block1(g, x, cin, filters, stride, true, `${name}_block1`);
    for (let b = 2; b <= blocks; b++) x = block1(g, x, 4 * filters, filters, 1, false, `${name}_block${b}`);
    cin = 4 * filters;
  });
  x = g.layer('GlobalAveragePooling2D', 'avg_pool', { data_format: 'channels_last', keepdims: false }, [x]);
  g.predictions('predictions', x, 2048, 1000);
  return g;
}

/**
 * Writes ResNet50 with random weights to `path` unless it exists. Returns whether it wrote the
 * file, the seconds it took and the parameter count (trainable and not).
 */
export function ensureResnet50(path: string, seed = 50): Promise<{ created: boolean; seconds: number; params: number }> {
  return writeKerasGraph(path, resnet50Graph(), 'resnet50', seed);
}
