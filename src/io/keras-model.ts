/**
 * A Keras model as its file describes it, whatever the file (Keras 2 / tf.keras `.h5`, Keras 3
 * `.keras` zip or legacy `.h5`, TensorFlow.js layers `model.json`): layers with their configs as
 * Keras wrote them, their weights in Keras layouts (conv kernel HWIO, dense (in, out)), and the
 * graph as Keras 2's functional config states it. Each reader turns its file into this; the
 * model builder (model/from-keras.ts) turns this into the engine's channels-first spec.
 */

export interface KerasWeight {
  shape: number[];
  data: Float32Array;
}

/** One tensor of the graph: output `tensor` of call `node` of layer `layer` (Keras 2's [name, node, tensor]). */
export interface KerasTensorRef {
  layer: string;
  node: number;
  tensor: number;
}

export interface KerasLayerFile {
  name: string;
  className: string;
  /** The layer's config as the file has it (Keras 3 forms such as dtype-policy objects included). */
  config: Record<string, unknown>;
  /**
   * Keyed by the short name Keras 2 gives them: 'kernel', 'bias', 'gamma', 'beta', 'moving_mean',
   * 'moving_variance', 'depthwise_kernel', 'pointwise_kernel', 'alpha', 'mean', 'variance', ...
   * Empty for a nested model (its layers hold their own).
   */
  weights: Record<string, KerasWeight>;
  /**
   * One entry per call of the layer in a functional graph: the tensors it was called on, in
   * order. Empty in a Sequential model (each layer takes the previous one's output) and for an
   * InputLayer.
   */
  calls: KerasTensorRef[][];
  /** Set when the layer is itself a model (Functional, Model or Sequential used as a layer). */
  model?: KerasGraph;
}

export interface KerasGraph {
  name: string;
  kind: 'Sequential' | 'Functional';
  /** In the config's order. A Sequential's InputLayer, when the config lists one, is kept. */
  layers: KerasLayerFile[];
  /** Functional only (empty for Sequential): the model's input and output tensors. */
  inputs: KerasTensorRef[];
  outputs: KerasTensorRef[];
}

export type KerasFileFormat = 'keras2-h5' | 'keras3-h5' | 'keras3-zip' | 'tfjs-layers';

export interface KerasProvenance {
  source: string;
  kerasVersion: string;
  backend: string;
  sha256: string;
}

export interface KerasModelFile extends KerasGraph {
  format: KerasFileFormat;
  /** As the file states it ('2.4.0', '3.3.3', 'tfjs-layers 4.22.0' ...); 'unknown' when it does not. */
  kerasVersion: string;
  backend: string;
  provenance: KerasProvenance;
}

/** 2 or 3: the Keras whose definitions apply (hard_sigmoid differs); a tfjs model follows Keras 2. */
export function kerasMajor(file: Pick<KerasModelFile, 'format' | 'kerasVersion'>): 2 | 3 {
  if (file.format === 'keras3-zip' || file.format === 'keras3-h5') return 3;
  return /^3\./.test(file.kerasVersion) ? 3 : 2;
}

/**
 * Whether the file's Keras resizes bilinearly (UpSampling2D) with half-pixel centres, as
 * tf.image.resize does for tf.keras 2 and Keras 3. Standalone Keras up to 2.3 (on TensorFlow 1,
 * its version has no '-tf') used tf.compat.v1's resize_bilinear and TensorFlow.js uses its
 * resizeBilinear, both without them.
 */
export function halfPixelResize(file: Pick<KerasModelFile, 'format' | 'kerasVersion'>): boolean {
  if (file.format === 'tfjs-layers') return false;
  return !(file.format === 'keras2-h5' && /^2\.[0-3]\.\d+$/.test(file.kerasVersion));
}
