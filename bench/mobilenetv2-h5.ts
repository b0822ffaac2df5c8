// Writes MobileNetV2 (Sandler et al. 2018; keras.applications.MobileNetV2(alpha=1.0,
// input_shape=(224, 224, 3), include_top=True, classes=1000): 3,538,984 parameters) with seeded
// random weights as tf.keras 2.12's model.save('x.h5') writes it (bench/keras-graph-h5.ts). The layers, names and configs are keras/applications/mobilenet_v2.py's:
// Conv1, bn_Conv1, Conv1_relu (ReLU(6.)), expanded_conv_*, block_N_expand/_BN/_relu,
// block_N_pad (ZeroPadding2D of imagenet_utils.correct_pad), block_N_depthwise/_BN/_relu,
// block_N_project/_BN, block_N_add, Conv_1, Conv_1_bn, out_relu, global_average_pooling2d,
// predictions.
import { Graph, writeKerasGraph } from './keras-graph-h5.ts';

/** keras.applications.mobilenet_v2._inverted_res_block with alpha 1. */
function invertedResBlock(g: Graph, x: string, cin: number, expansion: number, stride: number, filters: number, blockId: number): string {
  let prefix = `block_${blockId}_`;
  const inputs = x;
  let channels = cin;
  if (blockId) {
    channels = expansion * cin;
    x = g.conv(`${prefix}expand`, x, cin, channels, 1);
    x = g.bn(`${prefix}expand_BN`, x, channels);
    x = g.relu6(`${prefix}expand_relu`, x);
  } else {
    prefix = 'expanded_conv_';
  }
  // imagenet_utils.correct_pad(x, 3) for an even input size: ((0, 1), (0, 1)); every stride-2 block here sees one
  if (stride === 2) x = g.layer('ZeroPadding2D', `${prefix}pad`, { padding: [[0, 1], [0, 1]], data_format: 'channels_last' }, [x]);
  x = g.depthwise(`${prefix}depthwise`, x, channels, stride);
  x = g.bn(`${prefix}depthwise_BN`, x, channels);
  x = g.relu6(`${prefix}depthwise_relu`, x);
  x = g.conv(`${prefix}project`, x, channels, filters, 1);
  x = g.bn(`${prefix}project_BN`, x, filters);
  if (cin === filters && stride === 1) return g.layer('Add', `${prefix}add`, {}, [inputs, x]);
  return x;
}

/** [expansion, filters, stride] of blocks 0..16, as MobileNetV2() calls _inverted_res_block. */
const BLOCKS: [number, number, number][] = [
  [1, 16, 1],
  [6, 24, 2], [6, 24, 1],
  [6, 32, 2], [6, 32, 1], [6, 32, 1],
  [6, 64, 2], [6, 64, 1], [6, 64, 1], [6, 64, 1],
  [6, 96, 1], [6, 96, 1], [6, 96, 1],
  [6, 160, 2], [6, 160, 1], [6, 160, 1],
  [6, 320, 1],
];

/** The layers of keras.applications.MobileNetV2(alpha=1.0, input_shape=(224, 224, 3), include_top=True) and their weights. */
function mobilenetV2Graph(): Graph {
  const g = new Graph();
  let x = g.conv('Conv1', g.input('input_1', [224, 224, 3]), 3, 32, 3, 2);
  x = g.bn('bn_Conv1', x, 32);
  x = g.relu6('Conv1_relu', x);
  let cin = 32;
  BLOCKS.forEach(([expansion, filters, stride], blockId) => {
    x = invertedResBlock(g, x, cin, expansion, stride, filters, blockId);
    cin = filters;
  });
  x = g.conv('Conv_1', x, cin, 1280, 1);
  x = g.bn('Conv_1_bn', x, 1280);
  x = g.relu6('out_relu', x);
  x = g.layer('GlobalAveragePooling2D', 'global_average_pooling2d', { data_format: 'channels_last', keepdims: false }, [x]);
  g.predictions('predictions', x, 1280, 1000);
  return g;
}

/**
 * Writes MobileNetV2 with random weights to `path` unless it exists. Returns whether it wrote
 * the file, the seconds it took and the parameter count (trainable and not).
 */
export function ensureMobilenetV2(path: string, seed = 2): Promise<{ created: boolean; seconds: number; params: number }> {
  return writeKerasGraph(path, mobilenetV2Graph(), 'mobilenetv2_1.00_224', seed);
}
