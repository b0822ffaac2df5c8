// The library's core on a page's main thread, as a bundler user would import it: a model from a
// URL and from a File, an image from an <img>, a <canvas>, ImageData and PNG bytes.
import { loadModel, readImageTensor, type Tensor } from '../../../src/index.ts';

const plain = (t: Tensor) => Array.from(t.data);

async function run() {
  const shape = { channels: 1 as const, height: 28, width: 28 };
  const fromUrl = await loadModel('/model/model.json');
  const h5 = new Uint8Array(await (await fetch('/mnist_model.h5')).arrayBuffer());
  const fromFile = await loadModel(new File([h5], 'mnist_model.h5'));
  const png = new Uint8Array(await (await fetch('/digit-7.png')).arrayBuffer());
  const img = new Image();
  img.src = '/digit-7.png';
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = 28;
  canvas.height = 28;
  canvas.getContext('2d')!.drawImage(img, 0, 0);
  const inputs = {
    bytes: readImageTensor(png, shape),
    img: readImageTensor(img, shape),
    canvas: readImageTensor(canvas, shape),
    imageData: readImageTensor(canvas.getContext('2d')!.getImageData(0, 0, 28, 28), shape),
  };
  let unloaded = '';
  try {
    readImageTensor(new Image(), shape);
  } catch (e) {
    unloaded = (e as Error).message;
  }
  return {
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, plain(t)])),
    urlPrediction: plain(fromUrl.predict(inputs.img)),
    fileName: fromFile.source,
    filePrediction: plain(fromFile.predict(inputs.bytes)),
    unloaded,
  };
}

run().then(
  (result) => Object.assign(window, { libraryResult: result }),
  (e) => Object.assign(window, { libraryResult: { error: String(e?.stack ?? e) } }),
);
