import { Tensor, sizeOf } from '../tensor.ts';
import { cropPlanes, padPlanes } from './plane-window.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';
import type { ActivationName } from './activation-fns.ts';

/**
 * Dropout at inference, Keras Activation layers (the activation applied by Layer), a functional
 * model's InputLayer and a nested model's own node (its output is the nested model's output):
 * the identity.
 */
export class IdentityLayer extends Layer {
  constructor(name: string, type: string, inputShape: readonly number[], activation: ActivationName = 'linear') {
    super(name, type, inputShape, inputShape, activation);
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: x };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return r;
  }
}

/**
 * Flatten, in Keras's own element order: 'chw' flattens the engine's (C, H, W) as it is; 'hwc'
 * (a channels_last model, whose Keras tensors are (H, W, C)) puts the channels innermost.
 */
export class FlattenLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], readonly order: 'chw' | 'hwc' = 'chw') {
    super(name, 'Flatten', inputShape, [sizeOf(inputShape)]);
  }

  forwardLinear(x: Tensor): LinearResult {
    const n = x.shape[0];
    if (this.order === 'chw' || this.inputShape.length !== 3) return { z: x.reshape([n, this.outputShape[0]]) };
    const [c, h, w] = this.inputShape;
    const z = Tensor.zeros([n, c * h * w]);
    const plane = h * w;
    for (let b = 0; b < n; b++) {
      const base = b * c * plane;
      for (let ci = 0; ci < c; ci++) for (let p = 0; p < plane; p++) z.data[base + p * c + ci] = x.data[base + ci * plane + p];
    }
    return { z };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    if (this.order === 'chw' || this.inputShape.length !== 3) return r.reshape(record.input.shape);
    const [n, c, h, w] = record.input.shape;
    const dx = Tensor.zeros(record.input.shape);
    const plane = h * w;
    for (let b = 0; b < n; b++) {
      const base = b * c * plane;
      for (let ci = 0; ci < c; ci++) for (let p = 0; p < plane; p++) dx.data[base + ci * plane + p] = r.data[base + p * c + ci];
    }
    return dx;
  }
}

/**
 * Keras Reshape. `gather`, when given, reorders the values (out[i] = in[gather[i]] per sample):
 * needed where Keras reshapes in HWC order but the engine holds CHW.
 */
export class ReshapeLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], outputShape: readonly number[], readonly gather: Int32Array | null) {
    super(name, 'Reshape', inputShape, outputShape);
  }

  forwardLinear(x: Tensor): LinearResult {
    const n = x.shape[0];
    if (!this.gather) return { z: x.reshape([n, ...this.outputShape]) };
    const z = Tensor.zeros([n, ...this.outputShape]);
    const per = this.gather.length;
    for (let b = 0; b < n; b++) for (let i = 0; i < per; i++) z.data[b * per + i] = x.data[b * per + this.gather[i]];
    return { z };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    if (!this.gather) return r.reshape(record.input.shape);
    const dx = Tensor.zeros(record.input.shape);
    const per = this.gather.length;
    for (let b = 0; b < r.shape[0]; b++) for (let i = 0; i < per; i++) dx.data[b * per + this.gather[i]] += r.data[b * per + i];
    return dx;
  }
}

/** Keras ZeroPadding2D; going back, the padding is cropped off. */
export class ZeroPadding2DLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], readonly pad: { top: number; bottom: number; left: number; right: number }) {
    const [c, h, w] = inputShape;
    super(name, 'ZeroPadding2D', inputShape, [c, h + pad.top + pad.bottom, w + pad.left + pad.right]);
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: padPlanes(x, [x.shape[0], ...this.outputShape], this.pad.top, this.pad.left) };
  }

  backwardLinear(r: Tensor, record: LayerRecord): Tensor {
    return cropPlanes(r, record.input.shape, this.pad.top, this.pad.left);
  }
}
