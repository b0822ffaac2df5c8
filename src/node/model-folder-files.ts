import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelFolderFiles } from '../io/model-folder.ts';
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
