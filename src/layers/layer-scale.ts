import { Tensor } from '../tensor.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';

/**
 * keras.applications' LayerScale (ConvNeXt): each channel times its gamma. Linear, so every
 * backward net multiplies the signal by the same gamma.
 */
export class LayerScaleLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], readonly gamma: Tensor) {
    super(name, 'LayerScale', inputShape, inputShape);
  }

  override get weights(): Record<string, Tensor> {
    return { gamma: this.gamma };
  }

  private scaled(x: Tensor): Tensor {
    const out = Tensor.zeros(x.shape);
    const c = this.gamma.size;
    const plane = x.size / x.shape[0] / c;
    for (let i = 0; i < x.size; i++) out.data[i] = x.data[i] * this.gamma.data[Math.floor(i / plane) % c];
    return out;
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: this.scaled(x) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return this.scaled(r);
  }
}
