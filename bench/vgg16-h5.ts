// Writes VGG16 (Simonyan & Zisserman 2015, keras.applications.VGG16 with its top: 224x224x3,
// 1000 classes, 138,357,544 parameters) with seeded random weights as a Keras 2 `.h5` file, laid
// out as model.save() writes it (see test/fixtures/models/make_models.py): root attrs
// keras_version, backend, model_config (JSON); group model_weights with attrs layer_names,
// backend, keras_version; one group per layer with attr weight_names and the datasets
// <layer>/<layer>/kernel:0 and bias:0 (kernels HWIO). h5wasm builds the file in its in-memory
// file system; the bytes are then written to disk.
import { existsSync } from 'node:fs';
import { writeH5 } from './h5-write.ts';
import { xorshiftValues } from './keras-graph-h5.ts';

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

const GLOROT = { class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_avg', distribution: 'uniform', seed: null } };
const ZEROS = { class_name: 'Zeros', config: {} };
const NO_REGULARIZERS = { kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null };

const BLOCKS: [number, number][] = [[2, 64], [2, 128], [3, 256], [3, 512], [3, 512]];

function conv(name: string, filters: number): KerasLayer {
  return {
    class_name: 'Conv2D',
    config: {
      name, trainable: true, filters, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last',
      dilation_rate: [1, 1], activation: 'relu', use_bias: true, kernel_initializer: GLOROT, bias_initializer: ZEROS, ...NO_REGULARIZERS,
    },
  };
}

function dense(name: string, units: number, activation: string): KerasLayer {
  return {
    class_name: 'Dense',
    config: { name, trainable: true, units, activation, use_bias: true, kernel_initializer: GLOROT, bias_initializer: ZEROS, ...NO_REGULARIZERS },
  };
}

/** The layers of keras.applications.VGG16(include_top=True), and each weighted layer's (kernel, bias) shapes. */
function vgg16(): { layers: KerasLayer[]; shapes: Map<string, [number[], number[]]> } {
  const layers: KerasLayer[] = [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 224, 224, 3], dtype: 'float32', sparse: false, name: 'input_1' } }];
  const shapes = new Map<string, [number[], number[]]>();
  let cin = 3;
  BLOCKS.forEach(([convs, filters], b) => {
    for (let i = 1; i <= convs; i++) {
      const name = `block${b + 1}_conv${i}`;
      layers.push(conv(name, filters));
      shapes.set(name, [[3, 3, cin, filters], [filters]]);
      cin = filters;
    }
    layers.push({ class_name: 'MaxPooling2D', config: { name: `block${b + 1}_pool`, trainable: true, pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' } });
  });
  layers.push({ class_name: 'Flatten', config: { name: 'flatten', trainable: true, data_format: 'channels_last' } });
  for (const [name, nin, units, activation] of [['fc1', 7 * 7 * 512, 4096, 'relu'], ['fc2', 4096, 4096, 'relu'], ['predictions', 4096, 1000, 'softmax']] as const) {
    layers.push(dense(name, units, activation));
    shapes.set(name, [[nin, units], [units]]);
  }
  return { layers, shapes };
}

/** A Keras 2.2 functional config for a chain: each layer's one inbound node is the previous layer. */
function functionalConfig(layers: KerasLayer[]): unknown {
  const names = layers.map((l) => l.config.name as string);
  return {
    class_name: 'Model',
    config: {
      name: 'vgg16',
      layers: layers.map((l, i) => ({ name: names[i], ...l, inbound_nodes: i === 0 ? [] : [[[names[i - 1], 0, 0, {}]]] })),
      input_layers: [[names[0], 0, 0]],
      output_layers: [[names[names.length - 1], 0, 0]],
    },
  };
}

/** He-uniform kernels (ReLU keeps the activations' scale through 16 layers), small uniform biases; xorshift32 from `seed`. */
function randomWeights(count: number, limit: number, state: { s: number }): Float32Array {
  return xorshiftValues(count, state, (u) => (u * 2 - 1) * limit);
}

/**
 * Writes VGG16 with random weights to `path` unless it exists. Returns whether it wrote the
 * file, the seconds it took and the parameter count.
 */
export async function ensureVgg16(path: string, seed = 16): Promise<{ created: boolean; seconds: number; params: number }> {
  const { layers, shapes } = vgg16();
  const params = [...shapes.values()].reduce((n, [k, b]) => n + k.reduce((a, d) => a * d, 1) + b[0], 0);
  if (existsSync(path)) return { created: false, seconds: 0, params };
  const start = performance.now();
  const state = { s: seed };
  await writeH5(path, (file) => {
    file.create_attribute('keras_version', '2.2.4');
    file.create_attribute('backend', 'tensorflow');
    file.create_attribute('model_config', JSON.stringify(functionalConfig(layers)));
    const root = file.create_group('model_weights');
    const names = layers.map((l) => l.config.name as string);
    root.create_attribute('layer_names', names);
    root.create_attribute('backend', 'tensorflow');
    root.create_attribute('keras_version', '2.2.4');
    for (const name of names) {
      const group = root.create_group(name);
      const shape = shapes.get(name);
      if (!shape) {
        group.create_attribute('weight_names', new Float64Array(0), [0]);
        continue;
      }
      const [kernel, bias] = shape;
      group.create_attribute('weight_names', [`${name}/kernel:0`, `${name}/bias:0`]);
      const sub = group.create_group(name);
      const fanIn = kernel.slice(0, -1).reduce((a, d) => a * d, 1);
      sub.create_dataset({ name: 'kernel:0', data: randomWeights(kernel.reduce((a, d) => a * d, 1), Math.sqrt(6 / fanIn), state), shape: kernel });
      sub.create_dataset({ name: 'bias:0', data: randomWeights(bias[0], 0.01, state), shape: bias });
    }
  });
  return { created: true, seconds: (performance.now() - start) / 1000, params };
}
