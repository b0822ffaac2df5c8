// Files the user picked or dropped, sorted into a model and an image: a Keras .h5/.keras file, a
// TensorFlow.js model.json with its shards, or a converted folder's model.json + weights.bin; and
// a PNG/JPEG (or .npy) image.
import type { ModelRequest } from './protocol.ts';

const MODEL_ENDINGS = /\.(h5|hdf5|keras|json|bin)$/i;
const IMAGE_ENDINGS = /\.(png|jpe?g|npy)$/i;

export interface PickedFiles {
  model: ModelRequest | null;
  image: { bytes: ArrayBuffer; name: string } | null;
  /** Files that are neither, by name. */
  ignored: string[];
}

export async function sortFiles(files: readonly File[]): Promise<PickedFiles> {
  const modelFiles = files.filter((f) => MODEL_ENDINGS.test(f.name));
  const images = files.filter((f) => IMAGE_ENDINGS.test(f.name) || f.type === 'image/png' || f.type === 'image/jpeg');
  const ignored = files.filter((f) => !modelFiles.includes(f) && !images.includes(f)).map((f) => f.name);
  let model: ModelRequest | null = null;
  if (modelFiles.length > 0) {
    const entries = await Promise.all(modelFiles.map(async (f) => [f.name, await f.arrayBuffer()] as const));
    const main = modelFiles.find((f) => /\.(h5|hdf5|keras)$/i.test(f.name)) ?? modelFiles.find((f) => f.name.endsWith('.json')) ?? modelFiles[0];
    model = { kind: 'files', files: Object.fromEntries(entries), name: main.name };
  }
  const image = images[0] ? { bytes: await images[0].arrayBuffer(), name: images[0].name } : null;
  return { model, image, ignored };
}
