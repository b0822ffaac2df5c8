import { loadModel } from '../index.ts';

const model = await loadModel(new URL('models/mnist-cnn/model.json', self.location.href));
postMessage({ layers: model.layerNames() });
