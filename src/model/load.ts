import { statSync } from 'node:fs';
import { readKerasH5 } from '../io/keras-h5.ts';
import { isModelFolder, readModelFolder } from '../io/model-folder.ts';
import { specFromKeras } from './from-keras.ts';
import { Model } from './model.ts';
import type { ModelSpec } from './spec.ts';
import { ConvscopeError } from '../errors.ts';

/** The model spec from a Keras .h5 file (path or bytes) or a converted model folder. */
export function loadModelSpec(pathOrBytes: string | Uint8Array): ModelSpec {
  if (typeof pathOrBytes === 'string') {
    let isDir = false;
    try {
      isDir = statSync(pathOrBytes).isDirectory();
    } catch {
      throw new ConvscopeError('E_NOT_FOUND', `${pathOrBytes}: no such file or folder`);
    }
    if (isDir) {
      if (!isModelFolder(pathOrBytes)) throw new ConvscopeError('E_NOT_A_FILE', `${pathOrBytes}: a folder without model.json; give a Keras .h5 file or a folder written by 'convscope convert'`);
      return readModelFolder(pathOrBytes);
    }
  }
  return specFromKeras(readKerasH5(pathOrBytes));
}

/**
 * Loads a Keras 2 HDF5 model (`model.save('x.h5')`, channels-first or -last) or a folder that
 * `convscope convert` wrote, ready to run on the engine.
 *
 *   const model = loadModel('mnist_model.h5');
 *   const { records } = model.forward(image);      // every layer's input, z, output, switches
 *   const probabilities = model.predict(image);
 */
export function loadModel(pathOrBytes: string | Uint8Array): Model {
  return new Model(loadModelSpec(pathOrBytes), typeof pathOrBytes === 'string' ? pathOrBytes : undefined);
}
