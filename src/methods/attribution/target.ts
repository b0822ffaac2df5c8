import { Tensor, sizeOf } from '../../tensor.ts';
import type { Model } from '../../model/model.ts';
import { argumentError, describe } from '../../check.ts';
import { checkChannel, checkClass, checkLayer } from '../check-args.ts';
import { classScores, predictedClasses } from '../targets.ts';

/** A class for every sample, or one per sample. */
export type ClassTarget = number | readonly number[];
/** The sum of node `layer`'s channel (or unit) `channel`, one channel for all samples or one per sample. */
export interface NodeTarget {
  layer: string;
  channel: number | readonly number[];
}
export type AttributionTarget = ClassTarget | NodeTarget;

/** What f_b is for every sample of a batch (docs/ATTRIBUTION.md "Inputs, targets, batches"). */
export interface ResolvedTarget {
  /** The node whose output (or logits) holds the target. */
  node: number;
  /** Gradient methods read a class on the output node's logits: its pre-activation, whatever its activation. */
  onLogits: boolean;
  /** Per sample: the class, or the node's channel. */
  channels: number[];
  /** Per sample: the class, or null for a node target. */
  classes: (number | null)[];
  isClass: boolean;
}

/**
 * The target of each of n samples; `predicted` gives the model's output for the samples when no
 * class is given (the predicted class of each).
 */
/** One value for each of n samples: the value itself for all, or an array of exactly n. */
export function perSample<T>(value: T | readonly T[], n: number, what: string): T[] {
  if (!Array.isArray(value)) return Array.from({ length: n }, () => value as T);
  if (value.length !== n) throw argumentError(`give one ${what} for all samples or one per sample: ${value.length} for a batch of ${n}`);
  return [...value];
}

export function resolveTarget(model: Model, target: AttributionTarget | undefined, n: number, predicted: () => Tensor): ResolvedTarget {
  if (target === null) throw argumentError('the target must be a class, a class per sample, or {layer, channel}, not null');
  if (target !== undefined && typeof target === 'object' && !Array.isArray(target)) {
    const t = target as NodeTarget;
    const layer = checkLayer(model, t.layer, 'the target layer');
    const channels = perSample(t.channel, n, 'channel').map((c) => checkChannel(layer, c));
    return { node: model.layers.indexOf(layer), onLogits: false, channels, classes: channels.map(() => null), isClass: false };
  }
  if (target !== undefined && typeof target !== 'number' && !Array.isArray(target)) {
    throw argumentError(`the target must be a class, a class per sample, or {layer, channel}, not ${describe(target)}`);
  }
  const classes = target === undefined ? predictedClasses(predicted()) : perSample(target as ClassTarget, n, 'class').map((k) => checkClass(model, k));
  return { node: model.outputIndex, onLogits: true, channels: classes, classes, isClass: true };
}

/** The target's channel for each of `rows` rows, `per` consecutive rows per sample. */
export function rowChannels(t: ResolvedTarget, per: number, first = 0, count = t.channels.length * per - first): number[] {
  return Array.from({ length: count }, (_, r) => t.channels[Math.floor((first + r) / per)]);
}

/** d f / d v for values v (M, ...) of the target node: ones on each row's channel (one-hot for a vector). */
export function channelSignal(shape: readonly number[], channels: readonly number[]): Tensor {
  const s = Tensor.zeros(shape);
  const per = sizeOf(shape.slice(1));
  const plane = per / shape[1];
  channels.forEach((c, b) => s.data.fill(1, b * per + c * plane, b * per + (c + 1) * plane));
  return s;
}

/** f for each row: the sum of its channel of v (M, ...) (a class score or a node's channel sum). */
export function channelSums(v: Tensor, channels: readonly number[]): Float64Array {
  const per = v.size / v.shape[0];
  const plane = per / v.shape[1];
  return Float64Array.from(channels, (c, b) => {
    let s = 0;
    for (let i = b * per + c * plane; i < b * per + (c + 1) * plane; i++) s += v.data[i];
    return s;
  });
}

/** Score-CAM's score: softmax over the class scores of the logits, at the row's class. */
export function softmaxScores(logits: Tensor, channels: readonly number[]): Float64Array {
  return Float64Array.from(channels, (k, b) => {
    const s = classScores(logits, b);
    let max = -Infinity;
    for (const v of s) max = Math.max(max, v);
    let total = 0;
    for (const v of s) total += Math.exp(v - max);
    return Math.exp(s[k] - max) / total;
  });
}
