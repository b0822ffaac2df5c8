import type { Tensor } from '../tensor.ts';
import type { ActivationName } from '../layers/activation-fns.ts';
import type { KerasModelFile } from '../io/keras-model.ts';

// The layer types by family: each family has its own builder and Keras converter, which the
// families' lists below route to (model/build.ts, model/keras-converters.ts).
export const MERGE_TYPES = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'] as const;
export const CONV_FAMILY_TYPES = ['DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose'] as const;
export const ACTIVATION_LAYER_TYPES = ['ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'PReLU', 'Softmax'] as const;
export const NORM_SHAPE_TYPES = [
  'LayerNormalization', 'Rescaling', 'Normalization', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout',
  'ActivityRegularization', 'UpSampling2D', 'Cropping2D', 'Permute',
] as const;

export const LAYER_TYPES = [
  'InputLayer', 'Model', 'LayerScale',
  'Conv2D', 'Dense', 'MaxPooling2D', 'AveragePooling2D', 'BatchNormalization', 'Flatten', 'Dropout',
  'Activation', 'ZeroPadding2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Reshape',
  ...MERGE_TYPES, ...CONV_FAMILY_TYPES, ...ACTIVATION_LAYER_TYPES, ...NORM_SHAPE_TYPES,
] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

/** Whether `type` is one of a family's types. */
export function isOfFamily<T extends string>(type: string, family: readonly T[]): type is T {
  return (family as readonly string[]).includes(type);
}

/**
 * One layer, already in the engine's terms: channels-first, conv kernels (Cout, Cin, KH, KW),
 * Dense kernels (in, out) with rows in the order the engine's Flatten produces. `params` holds
 * JSON values only, so that a spec can be written to model.json as it is.
 */
export interface LayerSpec {
  name: string;
  type: LayerType;
  activation: ActivationName;
  params: Record<string, number | string | boolean | number[] | null>;
  weights: Record<string, Tensor>;
  /**
   * The nodes whose outputs this node takes, in order (a node is named by its `name`). Absent:
   * the previous layer's output, or the model's input for the first layer (a chain). An
   * InputLayer takes none: its output is the model's input.
   */
  inputs?: string[];
}

export interface ModelProvenance {
  source: string;
  sha256?: string;
  kerasVersion?: string;
  backend?: string;
  convertedBy?: string;
  licence?: string;
}

export interface ModelSpec {
  name: string;
  /** The data format of the model as Keras saved it; the spec itself is always channels-first. */
  dataFormat: 'channels_first' | 'channels_last';
  /** One sample's input shape, channels-first: (C, H, W), or (K) for a model that takes vectors. */
  inputShape: number[];
  /** The nodes in an order where each comes after the nodes it takes input from. */
  layers: LayerSpec[];
  /** The model's outputs, by node name; absent: the last layer. The first is the default output. */
  outputs?: string[];
  provenance: ModelProvenance;
  /**
   * The Keras description the spec was converted from (a Keras file, a TensorFlow.js model, or
   * `sequential`), kept so that the model can be written as Keras again: its configs and graph
   * are the source's. Its weight values are the loaded ones, some sharing their arrays with the
   * engine's tensors that training changes in place: read the current ones with kerasWeights
   * (model/keras-weights.ts). Absent for a converted model folder; never written into one.
   */
  keras?: KerasModelFile;
}
