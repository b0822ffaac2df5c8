import { Tensor } from '../tensor.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';

/** The output of a global pooling: (C), or (C, 1, 1) with keepdims; the values are the same in both. */
const pooledShape = (inputShape: readonly number[], keepdims: boolean): number[] => (keepdims ? [inputShape[0], 1, 1] : [inputShape[0]]);

/** Keras GlobalAveragePooling2D: (C, H, W) to (C) (or (C, 1, 1)); its adjoint spreads r / (H*W) over the plane. */
export class GlobalAveragePooling2DLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], keepdims = false) {
    super(name, 'GlobalAveragePooling2D', inputShape, pooledShape(inputShape, keepdims));
  }

  forwardLinear(x: Tensor): LinearResult {
    const [n, c, h, w] = x.shape;
    const plane = h * w;
    const z = Tensor.zeros(this.batchShape(n, this.outputShape));
    for (let p = 0; p < n * c; p++) {
      let s = 0;
      for (let i = 0; i < plane; i++) s += x.data[p * plane + i];
      z.data[p] = s / plane;
    }
    return { z };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    const dx = Tensor.zeros(record.input.shape);
    const plane = record.input.shape[2] * record.input.shape[3];
    for (let p = 0; p < r.size; p++) dx.data.fill(r.data[p] / plane, p * plane, (p + 1) * plane);
    return dx;
  }
}

/** Keras GlobalMaxPooling2D: (C, H, W) to (C) (or (C, 1, 1)), with a switch per plane (first max in row-major order). */
export class GlobalMaxPooling2DLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], keepdims = false) {
    super(name, 'GlobalMaxPooling2D', inputShape, pooledShape(inputShape, keepdims));
  }

  forwardLinear(x: Tensor): LinearResult {
    const [n, c, h, w] = x.shape;
    const plane = h * w;
    const z = Tensor.zeros(this.batchShape(n, this.outputShape));
    const switches = new Int32Array(n * c);
    for (let p = 0; p < n * c; p++) {
      let best = x.data[p * plane];
      let at = 0;
      for (let i = 1; i < plane; i++) {
        if (x.data[p * plane + i] > best) {
          best = x.data[p * plane + i];
          at = i;
        }
      }
      z.data[p] = best;
      switches[p] = at;
    }
    return { z, switches };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    const dx = Tensor.zeros(record.input.shape);
    const plane = record.input.shape[2] * record.input.shape[3];
    for (let p = 0; p < r.size; p++) dx.data[p * plane + record.switches![p]] += r.data[p];
    return dx;
  }
}
