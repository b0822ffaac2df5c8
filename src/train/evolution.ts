import { Tensor, formatShape } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import type { Model } from '../model/model.ts';
import { backwardNetFrom, BACKWARD_METHODS, type BackwardMethod } from '../methods/backward-net.ts';
import { checkLayer, checkMethodCall } from '../methods/check-args.ts';
import { argumentError, checkChoice, checkInteger, describe } from '../check.ts';

/** One watched layer at one epoch. */
export interface LayerSnapshot {
  layer: string;
  /** The channels shown (the first `maxChannels` of the layer). */
  channels: number[];
  /** The base image's feature map of each shown channel, (H', W'), in `channels`' order. */
  featureMaps: Tensor[];
  /** Each shown channel projected back to input space by the backward net, (C, H, W). */
  reconstructions: Tensor[];
  /** A Conv2D layer on a grey or RGB input: the shown channels' kernels, (channels, C, KH, KW), a copy. */
  filters?: Tensor;
}

/** What the model makes of the base image after an epoch (0: before training). */
export interface EvolutionSnapshot {
  epoch: number;
  /** How the reconstructions were made. */
  method: BackwardMethod;
  unit: 'all' | 'max';
  layers: LayerSnapshot[];
}

export interface EvolutionOptions {
  layers: string[];
  /** At most this many channels per layer are kept, the first ones; default 32. */
  maxChannels?: number;
  /** Default 'deconvnet' (Zeiler & Fergus's). */
  method?: BackwardMethod;
  /**
   * 'all' (default): the whole channel is projected, which shows which strokes of the one base
   * image drive it; 'max': only its strongest activation, as Zeiler & Fergus showed (they took
   * the strongest over a whole data set, where one image's single unit is a small patch).
   */
  unit?: 'all' | 'max';
}

const CONV_TYPES = ['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose'];

/** The layers watched when none are named: the model's first two convolutions with (C, H, W) outputs. */
export function defaultEvolutionLayers(model: Model): string[] {
  const convs = model.layers.filter((l) => CONV_TYPES.includes(l.type) && l.outputShape.length === 3).map((l) => l.name);
  if (convs.length === 0) throw new ConvscopeError('E_UNSUPPORTED', `the model has no convolution layer to watch; name layers with (C, H, W) outputs to watch (layers: ${model.layerNames().join(', ')})`);
  return convs.slice(0, 2);
}

/** Checks that each layer exists and gives feature maps (C, H, W); returns the names as the model knows them. */
export function checkEvolutionLayers(model: Model, layers: unknown): string[] {
  if (!Array.isArray(layers) || layers.length === 0) throw argumentError(`layers must be a non-empty list of layer names, not ${describe(layers)}`);
  return layers.map((name) => {
    const layer = checkLayer(model, name);
    if (layer.outputShape.length !== 3) {
      throw new ConvscopeError('E_UNSUPPORTED', `layer '${layer.name}' gives ${formatShape(layer.outputShape)} per sample, not feature maps (C, H, W); watch a convolution or pooling layer`);
    }
    return layer.name;
  });
}

/**
 * The base image's feature maps and backward-net reconstructions at each watched layer, as the
 * model is now (inference mode): one row of Zeiler & Fergus's feature-evolution figure.
 *
 *   const row = evolutionSnapshot(model, digit, 0, { layers: ['conv1', 'conv2'] });
 */
export function evolutionSnapshot(model: Model, image: Tensor, epoch: number, options: EvolutionOptions): EvolutionSnapshot {
  const opts = checkMethodCall(model, image, options, false);
  checkInteger(epoch, 'epoch', 0);
  const layers = checkEvolutionLayers(model, opts.layers);
  const maxChannels = opts.maxChannels ?? 32;
  checkInteger(maxChannels, 'maxChannels', 1);
  const method = opts.method ?? 'deconvnet';
  checkChoice(method, 'method', BACKWARD_METHODS);
  const unit = opts.unit ?? 'all';
  checkChoice(unit, 'unit', ['all', 'max']);
  return {
    epoch,
    method,
    unit,
    layers: layers.map((name) => {
      const layer = model.layer(name);
      const forward = model.forward(image, name);
      const [c, h, w] = layer.outputShape;
      const a = forward.output;
      const channels = Array.from({ length: Math.min(c, maxChannels) }, (_, i) => i);
      const kernel = layer.weights.kernel;
      const grey = layer.type === 'Conv2D' && kernel?.rank === 4 && (kernel.shape[1] === 1 || kernel.shape[1] === 3);
      return {
        layer: name,
        channels,
        featureMaps: channels.map((ch) => new Tensor([h, w], a.data.slice(ch * h * w, (ch + 1) * h * w))),
        reconstructions: channels.map((ch) => backwardNetFrom(model, forward, { layer: name, channel: ch, unit, method }).reshape(model.inputShape)),
        ...(grey ? { filters: firstFilters(kernel, channels.length) } : {}),
      };
    }),
  };
}

/** The first n filters of a kernel (F, C, KH, KW), copied. */
function firstFilters(kernel: Tensor, n: number): Tensor {
  const per = kernel.size / kernel.shape[0];
  return new Tensor([n, ...kernel.shape.slice(1)], kernel.data.slice(0, n * per));
}
