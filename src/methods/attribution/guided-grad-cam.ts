import { Tensor } from '../../tensor.ts';
import type { Model } from '../../model/model.ts';
import { walkBackward } from '../backward-walk.ts';
import { rows, rowsPerChunk, forEachChunk } from './chunks.ts';
import { targetGradient } from './gradient.ts';
import { channelSignal, type ResolvedTarget } from './target.ts';
import { camFromGradient, upsampleMaps } from './cam.ts';

/**
 * Guided Grad-CAM (Selvaraju et al. 2017; Captum's GuidedGradCam): guided backprop times the
 * Grad-CAM map upsampled to the input ('nearest' as Captum's default, or 'bilinear' as the
 * paper), on every channel. One forward pass per chunk serves both walks.
 */
export function guidedGradCamRows(model: Model, x: Tensor, t: ResolvedTarget, layer: number, interpolate: 'nearest' | 'bilinear'): { attribution: Tensor; cam: Tensor } {
  const [n, c, H, W] = x.shape;
  const [, h, w] = model.layers[layer].outputShape;
  const out = Tensor.zeros(x.shape);
  const cam = Tensor.zeros([n, h, w]);
  forEachChunk(n, rowsPerChunk(model, t.node), (start, count) => {
    const channels = t.channels.slice(start, start + count);
    const { grad, forward } = targetGradient(model, rows(x, start, count), t, channels, 'salinet', layer);
    const part = camFromGradient('gradcam', grad, forward.records.get(model.layers[layer].name)!.output).cam;
    cam.data.set(part.data, start * h * w);
    const record = forward.records.get(model.layers[t.node].name)!;
    const guided = walkBackward(model, forward, t.node, channelSignal((t.onLogits ? record.z : record.output).shape, channels), 'guided', -1, t.onLogits);
    const up = upsampleMaps(part, H, W, interpolate);
    for (let r = 0; r < count; r++) {
      for (let ch = 0; ch < c; ch++) {
        for (let i = 0; i < H * W; i++) out.data[((start + r) * c + ch) * H * W + i] = guided.data[(r * c + ch) * H * W + i] * up.data[r * H * W + i];
      }
    }
  });
  return { attribution: out, cam };
}
