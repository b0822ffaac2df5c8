import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_FORMAT, modelFolderFiles } from '../io/model-folder.ts';
import { ConvscopeError } from '../errors.ts';
import type { ModelSpec } from '../model/spec.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { fileError } from './files.ts';
import { checkString } from '../check.ts';

/** Writes a model folder (model.json + weights.bin); the folder's parent must exist. */
export function writeModelFolder(spec: ModelSpec, dir: string): void {
  checkString(dir, 'the model folder');
  const files = modelFolderFiles(spec);
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EEXIST') throw fileError(dir, e);
  }
  // weights first: a folder whose model.json exists is complete
  writeFileAtomic(join(dir, 'weights.bin'), files['weights.bin']);
  writeFileAtomic(join(dir, 'model.json'), files['model.json']);
}

/**
 * A folder that `convert` may replace holds nothing or an earlier convscope model folder; one
 * whose model.json convscope did not write (a TensorFlow.js model's) is kept.
 */
export function checkReplaceableModelFolder(dir: string): void {
  let text: string;
  try {
    text = readFileSync(join(dir, 'model.json'), 'utf8');
  } catch {
    return;
  }
  let format: unknown;
  try {
    format = (JSON.parse(text) as { format?: unknown } | null)?.format;
  } catch {
    format = undefined;
  }
  if (format !== MODEL_FORMAT) {
    throw new ConvscopeError('E_IO', `${dir} holds a model.json that convscope did not write (another model, e.g. a TensorFlow.js one); give a new or empty folder`);
  }
}
