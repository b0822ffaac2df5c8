// Writes a tf.keras 2.12 Functional model as model.save('x.h5') does (the layout of
// test/fixtures/models/make_models.py, in Keras 2.x's form): root attrs keras_version, backend,
// model_config ({"class_name": "Functional", ...}, every layer with its inbound_nodes); group
// model_weights with attrs layer_names, backend, keras_version; per layer the attr weight_names
// (trainable variables first, so BatchNormalization's moving statistics come last) and the
// datasets <layer>/<layer>/<weight>:0 in Keras's layout (kernels HWIO, depthwise kernels
// (KH, KW, C, 1)), with seeded random values. bench/mobilenetv2-h5.ts and bench/resnet50-h5.ts
// build their graphs with it.
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
export class Graph {
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

  /** Conv2D, He-uniform kernel; without bias where BatchNormalization follows (MobileNetV2), with one as ResNet50 has. */
  conv(name: string, x: string, cin: number, filters: number, kernel: number, strides = 1, options: { bias?: boolean; padding?: 'same' | 'valid' } = {}): string {
    const limit = Math.sqrt(6 / (kernel * kernel * cin));
    const bias = options.bias ?? false;
    return this.layer('Conv2D', name, {
      filters, kernel_size: [kernel, kernel], strides: [strides, strides], padding: options.padding ?? 'same', data_format: 'channels_last',
      dilation_rate: [1, 1], groups: 1, activation: 'linear', use_bias: bias, kernel_initializer: GLOROT, bias_initializer: ZEROS,
      kernel_regularizer: null, kernel_constraint: null, ...NO_REGULARIZERS,
    }, [x], [
      { short: 'kernel', shape: [kernel, kernel, cin, filters], lo: -limit, hi: limit, trainable: true },
      ...(bias ? [{ short: 'bias', shape: [filters], lo: -0.01, hi: 0.01, trainable: true }] : []),
    ]);
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
   * BatchNormalization (MobileNetV2's epsilon=1e-3, momentum=0.999 by default) with statistics near a unit-scale
   * activation's (the He-uniform convs keep that scale), so that fifty layers deep the values
   * are neither saturated nor vanishing.
   */
  bn(name: string, x: string, n: number, epsilon = 1e-3, momentum = 0.999, gamma: [number, number] = [0.8, 1.2]): string {
    return this.layer('BatchNormalization', name, {
      axis: [3], momentum, epsilon, center: true, scale: true,
      beta_initializer: ZEROS, gamma_initializer: ONES, moving_mean_initializer: ZEROS, moving_variance_initializer: ONES,
      beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
    }, [x], [
      { short: 'gamma', shape: [n], lo: gamma[0], hi: gamma[1], trainable: true },
      { short: 'beta', shape: [n], lo: -0.1, hi: 0.1, trainable: true },
      { short: 'moving_mean', shape: [n], lo: -0.1, hi: 0.1, trainable: false },
      { short: 'moving_variance', shape: [n], lo: 0.8, hi: 1.2, trainable: false },
    ]);
  }

  input(name: string, shape: number[]): string {
    this.layers.push({ class_name: 'InputLayer', config: { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name }, name, inbound_nodes: [] });
    this.weights.set(name, []);
    return name;
  }

  /** Dense(units, softmax) with a Glorot-uniform kernel: the classifier head. */
  predictions(name: string, x: string, inputs: number, units: number): string {
    const limit = Math.sqrt(6 / (inputs + units));
    return this.layer('Dense', name, {
      units, activation: 'softmax', use_bias: true, kernel_initializer: GLOROT, bias_initializer: ZEROS,
      kernel_regularizer: null, kernel_constraint: null, ...NO_REGULARIZERS,
    }, [x], [
      { short: 'kernel', shape: [inputs, units], lo: -limit, hi: limit, trainable: true },
      { short: 'bias', shape: [units], lo: -0.01, hi: 0.01, trainable: true },
    ]);
  }

  relu6(name: string, x: string): string {
    return this.layer('ReLU', name, { max_value: 6.0, negative_slope: 0.0, threshold: 0.0 }, [x]);
  }
}

/** count values of xorshift32 from `state`, each u in [0, 1) mapped by `value`; the state moves on. */
export function xorshiftValues(count: number, state: { s: number }, value: (u: number) => number): Float32Array {
  const out = new Float32Array(count);
  let s = state.s;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = value((s >>> 0) / 4294967296);
  }
  state.s = s;
  return out;
}

/** xorshift32 from `state`, uniform in [lo, hi]. */
function uniform(count: number, lo: number, hi: number, state: { s: number }): Float32Array {
  return xorshiftValues(count, state, (u) => lo + u * (hi - lo));
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

/** Parameters of the graph (trainable and not). */
export function parameterCount(g: Graph): number {
  return [...g.weights.values()].flat().reduce((n, w) => n + sizeOf(w.shape), 0);
}

/**
 * Writes the graph with random weights (xorshift32 from `seed`) to `path` unless it exists.
 * Returns whether it wrote the file, the seconds it took and the parameter count.
 */
export async function writeKerasGraph(path: string, g: Graph, modelName: string, seed: number): Promise<{ created: boolean; seconds: number; params: number }> {
  const params = parameterCount(g);
  if (existsSync(path)) return { created: false, seconds: 0, params };
  const start = performance.now();
  const state = { s: seed };
  const input = g.layers[0].name;
  const output = g.layers[g.layers.length - 1].name;
  await writeH5(path, (file) => {
    file.create_attribute('keras_version', KERAS_VERSION);
    file.create_attribute('backend', 'tensorflow');
    const config = { name: modelName, layers: g.layers, input_layers: [[input, 0, 0]], output_layers: [[output, 0, 0]] };
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
