import { loadModel } from '../node/load-model.ts';
import { appInputs, type AppInputs } from '../node/app-files.ts';
import { defaultModelPath } from '../package-root.ts';
import { numberList, numberOption } from './args.ts';
import { readSingleInput } from './single-input.ts';
import type { ModelAndImage } from './model-or-image.ts';

/** The preprocessing options of `serve` and `app`, which the page's scale/mean/std fields take. */
export const appInputOptionSpecs = { scale: { type: 'string' }, mean: { type: 'string' }, std: { type: 'string' } } as const;

export const appInputOptionsHelp = `--scale X, --mean a,b,c, --std a,b,c: the image's preprocessing, as for the other commands
(pixels times X, then (x - mean) / std per channel); the page opens with them set.`;

export interface AppInputOptionValues {
  scale?: string;
  mean?: string;
  std?: string;
}

/**
 * The MODEL, IMAGE and preprocessing of `serve` and `app`, checked as every other command checks
 * them (the model loads, the image reads for it) so that a bad file fails here in one line, not
 * later in a page.
 */
export async function checkedAppInputs({ model, image }: ModelAndImage, values: AppInputOptionValues): Promise<AppInputs> {
  numberOption(values.scale, 'scale', 1);
  numberList(values.mean, 'mean');
  numberList(values.std, 'std');
  if (model !== undefined || image !== undefined) {
    const loaded = await loadModel(model ?? defaultModelPath());
    if (image !== undefined) await readSingleInput(image, loaded, values);
  }
  return appInputs(model, image, appPreprocessing(values));
}

/** The preprocessing options given, by name (of a command's values, which may hold others). */
export function appPreprocessing(values: AppInputOptionValues): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([name, value]) => name in appInputOptionSpecs && value !== undefined));
}
