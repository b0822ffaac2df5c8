// The Node entry: everything in the core (src/index.ts), with the functions that take paths in
// place of their bytes-only versions, and the writers (each file written whole or not at all).
export * from './index.ts';
export { loadModel, loadModelSpec, type NodeModelSource } from './node/load-model.ts';
export { readImageTensor, readModelInput, readNpy, readNpyTensor, writeNpy } from './node/inputs.ts';
export { writeModelFolder } from './node/model-folder-files.ts';
export { writePng, writeJpeg, writePicture } from './node/pictures.ts';
export { writeReport } from './node/report-files.ts';
export { readRegularFile } from './node/files.ts';
export { shippedModelPath, loadShippedModel } from './node/shipped.ts';
export { readMnistSplits, readNpyTrainData } from './node/training-data.ts';
