import { Tensor, formatShape } from '../tensor.ts';
import type { KerasLayerFile } from '../io/keras-model.ts';
import type { ActivationName } from '../layers/activation-fns.ts';
import { KerasConfig } from './keras-config.ts';
import type { LayerSpec, LayerType } from './spec.ts';

/** Layers that are the identity at inference, whose data_format (if any) does not matter. */
export const IDENTITY_CLASSES = ['Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'ActivityRegularization'];

export type DataFormat = 'channels_first' | 'channels_last';

/**
 * One Keras layer on its way to a LayerSpec: its config's typed reads (KerasConfig), its weights
 * by short name, the model's data format and the Keras major version whose definitions apply.
 */
export class KerasLayer extends KerasConfig {
  /**
   * `halfPixelResize`: whether the file's Keras resizes bilinearly with half-pixel centres
   * (see halfPixelResize in io/keras-model.ts).
   */
  constructor(
    readonly layer: KerasLayerFile, readonly dataFormat: DataFormat, readonly kerasMajor: 2 | 3, readonly nodeName: string = layer.name,
    readonly halfPixelResize = true,
  ) {
    super(nodeName, layer.className, layer.config);
    // Keras 3 writes its global data_format into layers where it changes nothing (a dropout is the identity).
    const f = IDENTITY_CLASSES.includes(layer.className) ? undefined : this.declaredDataFormat();
    if (f && f !== dataFormat) this.fail(`data_format ${f} differs from the model's ${dataFormat}; mixed data formats are not supported`, 'E_UNSUPPORTED');
  }

  override activation(): ActivationName {
    return super.activation(this.kerasMajor);
  }

  weight(key: string): Tensor {
    const w = this.layer.weights[key];
    if (!w) this.fail(`the file has no '${key}' weight for it`);
    return new Tensor(w.shape, w.data);
  }

  hasWeight(key: string): boolean {
    return key in this.layer.weights;
  }

  base(type: LayerType, activation: ActivationName = 'linear'): LayerSpec {
    return { name: this.nodeName, type, activation, params: {}, weights: {} };
  }

  plain(activation: ActivationName = 'linear'): LayerSpec {
    return this.base(this.layer.className as LayerType, activation);
  }

  /**
   * A Keras axis of a batched tensor (negative counts from the end) as the engine's axis of the
   * per-sample channels-first tensor: for a channels_last (H, W, C) map, Keras axis 3 is the
   * engine's 0 (C), 1 is 1 (H), 2 is 2 (W).
   */
  engineAxis(key: string, rank: number, fallback?: number): number {
    const raw = this.config[key] ?? fallback;
    const single = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
    if (!Number.isSafeInteger(single)) return this.failKey(key, 'an integer axis');
    const kerasRank = rank + 1;
    const axis = (single as number) < 0 ? (single as number) + kerasRank : (single as number);
    if (axis < 1 || axis >= kerasRank) this.fail(`config.${key}: axis ${String(single)} is not an axis of its (N, ${rank === 3 ? 'H, W, C' : '...'}) input`);
    if (rank !== 3 || this.dataFormat === 'channels_first') return axis - 1;
    return axis === 3 ? 0 : axis;
  }
}

/** HWIO (Keras) to OIHW (engine). */
export function hwioToOihw(k: Tensor): Tensor {
  const [kh, kw, cin, cout] = k.shape;
  const out = Tensor.zeros([cout, cin, kh, kw]);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out.data[((o * cin + i) * kh + y) * kw + x] = k.data[((y * kw + x) * cin + i) * cout + o];
  }
  return out;
}

/** For a (C, H, W) map: index i of the engine's (C, H, W) flatten -> index of the same value in Keras's (H, W, C) flatten. */
export function chwToHwcIndex([c, h, w]: readonly number[]): Int32Array {
  const out = new Int32Array(c * h * w);
  for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(ci * h + y) * w + x] = (y * w + x) * c + ci;
  return out;
}
