import { Tensor } from '../tensor.ts';
import { matmul } from '../ops/matmul.ts';
import { Layer, type LayerRecord, type LinearResult } from './layer.ts';
import type { ActivationName } from './activation-fns.ts';

/** Keras Dense: y = x W + b with W stored (in, out) as Keras does. */
export class DenseLayer extends Layer {
  constructor(name: string, inputShape: readonly number[], readonly kernel: Tensor, readonly bias: Tensor | null, activation: ActivationName) {
    super(name, 'Dense', inputShape, [kernel.shape[1]], activation);
  }

  override get weights(): Record<string, Tensor> {
    return this.bias ? { kernel: this.kernel, bias: this.bias } : { kernel: this.kernel };
  }

  forwardLinear(x: Tensor): LinearResult {
    return { z: matmul(x, this.kernel, { bias: this.bias, biasAxis: 'col' }) };
  }

  backwardLinear(r: Tensor, _record: LayerRecord): Tensor {
    return matmul(r, this.kernel, { transB: true });
  }
}
