// Writes MobileNetV2 (Sandler et al. 2018; keras.applications.MobileNetV2(alpha=1.0,
// input_shape=(224, 224, 3), include_top=True, classes=1000): 3,538,984 parameters) with seeded
// random weights as tf.keras 2.12's model.save('x.h5') writes it (the layout of
// test/fixtures/models/make_models.py, in Keras 2.x's form): root attrs keras_version, backend,
// model_config ({"class_name": "Functional", ...}, every layer with its inbound_nodes); group
// model_weights with attrs layer_names, backend, keras_version; per layer the attr weight_names
// (trainable variables first, so BatchNormalization's moving statistics come last) and the
// datasets <layer>/<layer>/<weight>:0 in Keras's layout (kernels HWIO, depthwise kernels
// (KH, KW, C, 1)). The layers, names and configs are keras/applications/mobilenet_v2.py's:
// Conv1, bn_Conv1, Conv1_relu (ReLU(6.)), expanded_conv_*, block_N_expand/_BN/_relu,
// block_N_pad (ZeroPadding2D of imagenet_utils.correct_pad), block_N_depthwise/_BN/_relu,
// block_N_project/_BN, block_N_add, Conv_1, Conv_1_bn, out_relu, global_average_pooling2d,
// predictions.
import { existsSync } from 'node:fs';
import { writeH5 } from './h5-write.ts';

const KERAS_VERSION = '2.12.0';

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
  name: string;
  inbound_nodes: [string, number, number, Record<string, never>][][];
}

/** A weight as Keras stores it, and how its random values are drawn. */
interface WeightSpec {
  short: string;
  shape: number[];
  /** Uniform in [lo, hi]. */
  lo: number;
  hi: number;
  trainable: boolean;
}

const GLOROT = { class_name: 'GlorotUniform', config: { seed: null } };
const ZEROS = { class_name: 'Zeros', config: {} };
const ONES = { class_name: 'Ones', config: {} };
const NO_REGULARIZERS = { bias_regularizer: null, activity_regularizer: null, bias_constraint: null };

/** The Keras graph being written: layers with their one call each, and their weights. */
class Graph {
  readonly layers: KerasLayer[] = [];
  readonly weights = new Map<string, WeightSpec[]>();

  layer(className: string, name: string, config: Record<string, unknown>, inputs: string[], weights: WeightSpec[] = []): string {
    this.layers.push({
      class_name: className,
      config: { name, trainable: true, dtype: 'float32', ...config },
      name,
      inbound_nodes: inputs.length === 0 ? [] : [inputs.map((i) => [i, 0, 0, {}])],
    });
    this.weights.set(name, weights);
    return name;
  }

  /** Conv2D without bias (every MobileNetV2 conv is followed by BatchNormalization); He-uniform kernel. */
  conv(name: string, x: string, cin: number, filters: number, kernel: number, strides = 1): string {
    const limit = Math.sqrt(6 / (kernel * kernel * cin));
    return this.layer('Conv2D', name, {
      filters, kernel_size: [kernel, kernel], strides: [strides, strides], padding: 'same', data_format: 'channels_last',
      dilation_rate: [1, 1], groups: 1, activation: 'linear', use_bias: false, kernel_initializer: GLOROT, bias_initializer: ZEROS,
      kernel_regularizer: null, kernel_constraint: null, ...NO_REGULARIZERS,
    }, [x], [{ short: 'kernel', shape: [kernel, kernel, cin, filters], lo: -limit, hi: limit, trainable: true }]);
  }

  depthwise(name: string, x: string, channels: number, strides: number): string {
    const limit = Math.sqrt(6 / 9);
    return this.layer('DepthwiseConv2D', name, {
      kernel_size: [3, 3], strides: [strides, strides], padding: strides === 1 ? 'same' : 'valid', data_format: 'channels_last',
      dilation_rate: [1, 1], groups: 1, activation: 'linear', use_bias: false, bias_initializer: ZEROS, ...NO_REGULARIZERS,
      depth_multiplier: 1, depthwise_initializer: GLOROT, depthwise_regularizer: null, depthwise_constraint: null,
    }, [x], [{ short: 'depthwise_kernel', shape: [3, 3, channels, 1], lo: -limit, hi: limit, trainable: true }]);
  }

  /**
   * BatchNormalization(epsilon=1e-3, momentum=0.999) with statistics near a unit-scale
   * activation's (the He-uniform convs keep that scale), so that fifty layers deep the values
   * are neither saturated nor vanishing.
   */
  bn(name: string, x: string, n: number): string {
    return this.layer('BatchNormalization', name, {
      axis: [3], momentum: 0.999, epsilon: 1e-3, center: true, scale: true,
      beta_initializer: ZEROS, gamma_initializer: ONES, moving_mean_initializer: ZEROS, moving_variance_initializer: ONES,
      beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
    }, [x], [
      { short: 'gamma', shape: [n], lo: 0.8, hi: 1.2, trainable: true },
      { short: 'beta', shape: [n], lo: -0.1, hi: 0.1, trainable: true },
      { short: 'moving_mean', shape: [n], lo: -0.1, hi: 0.1, trainable: false },
      { short: 'moving_variance', shape: [n], lo: 0.8, hi: 1.2, trainable: false },
    ]);
  }

  relu6(name: string, x: string): string {
    return this.layer('ReLU', name, { max_value: 6.0, negative_slope: 0.0, threshold: 0.0 }, [x]);
  }
}

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
  const input = 'input_1';
  g.layers.push({ class_name: 'InputLayer', config: { batch_input_shape: [null, 224, 224, 3], dtype: 'float32', sparse: false, ragged: false, name: input }, name: input, inbound_nodes: [] });
  g.weights.set(input, []);
  let x = g.conv('Conv1', input, 3, 32, 3, 2);
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
  const limit = Math.sqrt(6 / (1280 + 1000));
  g.layer('Dense', 'predictions', {
    units: 1000, activation: 'softmax', use_bias: true, kernel_initializer: GLOROT, bias_initializer: ZEROS,
    kernel_regularizer: null, kernel_constraint: null, ...NO_REGULARIZERS,
  }, [x], [
    { short: 'kernel', shape: [1280, 1000], lo: -limit, hi: limit, trainable: true },
    { short: 'bias', shape: [1000], lo: -0.01, hi: 0.01, trainable: true },
  ]);
  return g;
}

/** xorshift32 from `state`, uniform in [lo, hi]. */
function uniform(count: number, lo: number, hi: number, state: { s: number }): Float32Array {
  const out = new Float32Array(count);
  let s = state.s;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  state.s = s;
  return out;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

/**
 * Writes MobileNetV2 with random weights to `path` unless it exists. Returns whether it wrote
 * the file, the seconds it took and the parameter count (trainable and not).
 */
export async function ensureMobilenetV2(path: string, seed = 2): Promise<{ created: boolean; seconds: number; params: number }> {
  const g = mobilenetV2Graph();
  const params = [...g.weights.values()].flat().reduce((n, w) => n + sizeOf(w.shape), 0);
  if (existsSync(path)) return { created: false, seconds: 0, params };
  const start = performance.now();
  const state = { s: seed };
  await writeH5(path, (file) => {
    file.create_attribute('keras_version', KERAS_VERSION);
    file.create_attribute('backend', 'tensorflow');
    const config = { name: 'mobilenetv2_1.00_224', layers: g.layers, input_layers: [['input_1', 0, 0]], output_layers: [['predictions', 0, 0]] };
    // Python's json.dumps writes ReLU(6.)'s floats as 6.0 and 0.0
    file.create_attribute('model_config', JSON.stringify({ class_name: 'Functional', config }).replace(/"(max_value|negative_slope|threshold)":(-?\d+)(?=[,}])/g, '"$1":$2.0'));
    const root = file.create_group('model_weights');
    const names = g.layers.map((l) => l.name);
    root.create_attribute('layer_names', names);
    root.create_attribute('backend', 'tensorflow');
    root.create_attribute('keras_version', KERAS_VERSION);
    for (const name of names) {
      const group = root.create_group(name);
      const weights = g.weights.get(name)!;
      if (weights.length === 0) {
        group.create_attribute('weight_names', new Float64Array(0), [0]);
        continue;
      }
      const ordered = [...weights.filter((w) => w.trainable), ...weights.filter((w) => !w.trainable)];
      group.create_attribute('weight_names', ordered.map((w) => `${name}/${w.short}:0`));
      const sub = group.create_group(name);
      for (const w of weights) sub.create_dataset({ name: `${w.short}:0`, data: uniform(sizeOf(w.shape), w.lo, w.hi, state), shape: w.shape });
    }
  });
  return { created: true, seconds: (performance.now() - start) / 1000, params };
}
