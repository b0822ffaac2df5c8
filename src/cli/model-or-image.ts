import { statSync } from 'node:fs';
import { UsageError } from './errors.ts';

/** With one positional: a model file or folder is the MODEL, anything else the IMAGE. */
export function looksLikeModel(path: string): boolean {
  if (/\.(h5|hdf5|keras|json)$/i.test(path)) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface ModelAndImage {
  /** undefined: the command's default model (the shipped MNIST CNN). */
  model?: string;
  image?: string;
}

/**
 * The `[MODEL] [IMAGE]` positionals of explain, serve and app: two are the model and the image;
 * one is the model when it looks like one (looksLikeModel), else the image.
 */
export function modelAndImage(positionals: string[], usage: string): ModelAndImage {
  if (positionals.length > 2) throw new UsageError(`expected [MODEL] [IMAGE] but got ${positionals.length} arguments\n${usage}`);
  const [first, second] = positionals;
  if (second !== undefined) return { model: first, image: second };
  if (first === undefined) return {};
  return looksLikeModel(first) ? { model: first } : { image: first };
}
