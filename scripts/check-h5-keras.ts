// The convscope half of scripts/check-h5-keras.py: for each model, writes into OUT_DIR the
// Keras .h5 that writeKerasH5 makes of it (<id>.h5), a seeded input batch (<id>.input.npy,
// channels-first as the engine takes it), convscope's predictions on it per output
// (<id>.out<k>.npy) and the Keras weights convscope means to have written (<id>.w<i>.npy),
// listed in <id>.json. The Python half opens the .h5 with h5py and with Keras and compares.
//
//   node --import tsx scripts/check-h5-keras.ts OUT_DIR MODEL...
//
// A MODEL is a fixture path (a Keras .h5, a tfjs model folder) or `mnist-cnn` (the shipped MNIST
// CNN's architecture with the Rescaling(1/255) `convscope train` puts first, sequential, fresh
// weights), with options after '#', joined by '&':
// `freeze=LAYER` writes that top-level layer as trainable: false (Keras then takes its weights in
// creation order), `train=N` takes N Adam steps on a seeded batch first (moving every trainable
// weight and batch norm's statistics).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import { writeKerasH5 } from '../src/io/keras-h5-write.ts';
import { kerasWeights } from '../src/model/keras-weights.ts';
import { toNpy } from '../src/io/npy.ts';
import { Tensor } from '../src/tensor.ts';
import { mnistCnn } from '../src/train/sequential.ts';
import { Trainer } from '../src/train/trainer.ts';
import type { Model } from '../src/model/model.ts';

const [out, ...models] = process.argv.slice(2);
if (!out || models.length === 0) {
  console.error('usage: node --import tsx scripts/check-h5-keras.ts OUT_DIR MODEL...');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

/** Uniform in [0, 1), seeded (a 32-bit LCG; the inputs need only be fixed and varied). */
function uniform(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** N Adam steps on a seeded batch of 8, labels 0, 1, 2, ... */
function trainSteps(model: Model, steps: number): void {
  const x = new Tensor([8, ...model.inputShape], uniform(8 * model.inputShape.reduce((a, b) => a * b, 1), 3));
  const y = Int32Array.from({ length: 8 }, (_, i) => i % model.outputShape[0]);
  const trainer = new Trainer(model, { optimizer: 'adam', learningRate: 0.01 });
  for (let step = 0; step < steps; step++) trainer.step(x, y);
}

for (const [m, arg] of models.entries()) {
  const [source, query = ''] = arg.split('#');
  const options = new URLSearchParams(query);
  const freeze = options.get('freeze');
  const steps = Number(options.get('train') ?? 0);
  const model = source === 'mnist-cnn' ? mnistCnn(1, { rescale: 1 / 255 }) : await loadModel(source);
  if (freeze) {
    const layer = model.spec.keras?.layers.find((l) => l.name === freeze);
    if (!layer) throw new Error(`${source} has no top-level layer '${freeze}'`);
    layer.config.trainable = false;
  }
  if (steps > 0) trainSteps(model, steps);
  const id = `${m}-${basename(source).replace(/\.h5$/, '')}${freeze ? '-frozen' : ''}${steps ? `-trained${steps}` : ''}`;
  writeFileSync(join(out, `${id}.h5`), await writeKerasH5(model));
  const x = new Tensor([4, ...model.inputShape], uniform(4 * model.inputShape.reduce((a, b) => a * b, 1), 7 + m));
  writeFileSync(join(out, `${id}.input.npy`), toNpy(x.shape, x.data));
  model.outputNames.forEach((name, k) => {
    const y = model.predict(x, name);
    writeFileSync(join(out, `${id}.out${k}.npy`), toNpy(y.shape, y.data));
  });
  const weights: Record<string, string> = {};
  let i = 0;
  for (const [path, record] of kerasWeights(model)) {
    for (const [key, w] of Object.entries(record)) {
      const file = `${id}.w${i++}.npy`;
      writeFileSync(join(out, file), toNpy(w.shape, w.data));
      weights[`${path}/${key}`] = file;
    }
  }
  const description = { source, frozen: freeze, trained: steps, dataFormat: model.spec.dataFormat, outputs: model.outputNames, weights };
  writeFileSync(join(out, `${id}.json`), JSON.stringify(description, null, 1));
  console.log(id);
}
