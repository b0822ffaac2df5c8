import { Tensor, kerasPadding2d, windowOutputLength, type Padding2d } from '../tensor.ts';
import { maxPool2d, maxUnpool2d, avgPool2d, avgPool2dBackward, type Pool2dOptions } from '../ops/pool2d.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';

export interface PoolConfig {
  pool: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
}

function poolOptions(inputShape: readonly number[], config: PoolConfig): Pool2dOptions {
  const padding: Padding2d = kerasPadding2d(config.padding, [inputShape[1], inputShape[2]], config.pool, config.strides);
  return { kernel: config.pool, stride: config.strides, padding };
}

function pooledShape(inputShape: readonly number[], opts: Pool2dOptions): number[] {
  const [c, h, w] = inputShape;
  const p = opts.padding!;
  const s = opts.stride!;
  return [c, windowOutputLength(h, opts.kernel[0], s[0], 1, p.top, p.bottom), windowOutputLength(w, opts.kernel[1], s[1], 1, p.left, p.right)];
}

/** Keras MaxPooling2D; keeps the switches, and unpools through them going back (every backward net). */
export class MaxPooling2DLayer extends Layer {
  readonly options: Pool2dOptions;

  constructor(name: string, inputShape: readonly number[], readonly config: PoolConfig) {
    const options = poolOptions(inputShape, config);
    super(name, 'MaxPooling2D', inputShape, pooledShape(inputShape, options));
    this.options = options;
  }

  forwardLinear(x: Tensor): LinearResult {
    const { y, switches } = maxPool2d(x, this.options);
    return { z: y, switches };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    return maxUnpool2d(r, record.switches!, record.input.shape, this.options);
  }
}

/** Keras AveragePooling2D (padding not counted); its adjoint spreads each value over its window. */
export class AveragePooling2DLayer extends Layer {
  readonly options: Pool2dOptions;

  constructor(name: string, inputShape: readonly number[], readonly config: PoolConfig) {
    const options = poolOptions(inputShape, config);
    super(name, 'AveragePooling2D', inputShape, pooledShape(inputShape, options));
    this.options = options;
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: avgPool2d(x, this.options) };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    return avgPool2dBackward(r, record.input.shape, this.options);
  }
}
