import { Tensor } from '../tensor.ts';
import type { Model, RunOptions } from '../model/model.ts';
import { backwardNetFrom, BACKWARD_METHODS, type BackwardMethod } from './backward-net.ts';
import { checkLayer, checkMethodCall } from './check-args.ts';
import { argumentError, checkChoice, checkFunction, checkInteger } from '../check.ts';

export interface TopChannel {
  channel: number;
  /** The channel's largest activation, which ranks it. */
  score: number;
  /** The channel's feature map, (H', W') (a (1) vector for a Dense unit). */
  featureMap: Tensor;
  /** Its strongest activation (unit 'max', the default) or the whole channel (unit 'all') projected back to input space by each method asked for, (C, H, W). */
  reconstructions: Partial<Record<BackwardMethod, Tensor>>;
}

/**
 * The k channels of a layer with the largest activation for one input (ranked by their maximum,
 * as Zeiler & Fergus chose what to show), each with its feature map and the backward-net
 * projection of its strongest activation (unit 'max', the default; 'all': the whole channel)
 * by each backward net asked for. NaN or Infinity in the input or a result is an error
 * (E_NONFINITE) unless `allowNonFinite` is set.
 *
 *   const top = topChannels(model, digit, { layer: 'conv2', k: 9, methods: ['deconvnet'] });
 */
export function topChannels(
  model: Model, input: Tensor,
  options: { layer: string; k?: number; methods?: BackwardMethod[]; unit?: 'all' | 'max'; onProgress?: (done: number, total: number) => void } & RunOptions,
): TopChannel[] {
  const opts = checkMethodCall(model, input, options, false);
  const methods = opts.methods ?? ['deconvnet'];
  if (!Array.isArray(methods)) throw argumentError(`methods must be an array of backward methods (${BACKWARD_METHODS.join(', ')})`);
  methods.forEach((m) => checkChoice(m, 'method', BACKWARD_METHODS));
  const unit = opts.unit ?? 'max';
  checkChoice(unit, 'unit', ['all', 'max']);
  const layer = checkLayer(model, opts.layer);
  const k = opts.k ?? 9;
  checkInteger(k, 'k', 1);
  checkFunction(opts.onProgress, 'onProgress');
  const channels = layer.outputShape[0];
  const forward = model.forward(input, layer.name, opts);
  const a = forward.output;
  const plane = a.size / channels;
  const ranked = Array.from({ length: channels }, (_, c) => {
    let best = -Infinity;
    for (let i = 0; i < plane; i++) best = Math.max(best, a.data[c * plane + i]);
    return { c, best };
  }).sort((x, y) => y.best - x.best || x.c - y.c);
  const top = ranked.slice(0, Math.min(k, channels));
  opts.onProgress?.(0, top.length);
  return top.map(({ c, best }, i) => {
    const reconstructions = Object.fromEntries(methods.map((method) => [method, backwardNetFrom(model, forward, { layer: layer.name, channel: c, unit, method, allowNonFinite: opts.allowNonFinite, inputName: opts.inputName })]));
    opts.onProgress?.(i + 1, top.length);
    return { channel: c, score: best, featureMap: new Tensor(layer.outputShape.length === 3 ? layer.outputShape.slice(1) : [1], a.data.slice(c * plane, (c + 1) * plane)), reconstructions };
  });
}
