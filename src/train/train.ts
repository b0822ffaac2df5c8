import { Tensor, formatShape, sameShape } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { argumentError, checkBoolean, checkFunction, checkInteger, checkNumber, checkOptions, checkTensor, describe } from '../check.ts';
import { seededRandom } from '../methods/random.ts';
import type { Model } from '../model/model.ts';
import { softmaxCrossEntropy } from './loss.ts';
import { Trainer, checkLabels, classifierClasses, type TrainerOptions } from './trainer.ts';
import { splitAt } from './data.ts';

/** Samples (N, ...the model's input shape) and their class labels. */
export interface TrainData {
  x: Tensor;
  y: Int32Array;
}

export interface BatchProgress {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch (1-based). */
  batch: number;
  batches: number;
  /** The epoch's mean training loss so far. */
  loss: number;
  imagesPerSecond: number;
}

export interface TrainOptions extends TrainerOptions {
  /** Default 5. */
  epochs?: number;
  /** Default 32 (Keras's). */
  batchSize?: number;
  /** The fraction of `data` held out, taken from its end before any shuffling (Keras's validation_split); default 0.2. */
  validationSplit?: number;
  /** Held-out data given instead of a split. */
  validationData?: TrainData;
  /** Shuffle the training samples each epoch (seeded); default true. */
  shuffle?: boolean;
  onBatch?: (progress: BatchProgress) => void;
}

export interface EpochResult {
  /** 0: before any step (loss and accuracy NaN); then 1..epochs. */
  epoch: number;
  /** The epoch's mean training loss and accuracy (of the training-mode forward, as Keras reports them). */
  loss: number;
  accuracy: number;
  heldOutLoss: number;
  heldOutAccuracy: number;
  seconds: number;
}

/**
 * Trains `model` in place on `data` and returns one result per epoch (epoch 0, the untrained
 * model's held-out scores, first). `onEpoch` sees each result as it comes, epoch 0 included.
 *
 *   const history = train(mnistCnn(), { x, y }, { epochs: 3, batchSize: 64 }, (e) => console.log(e));
 */
export function train(model: Model, data: TrainData, options: TrainOptions = {}, onEpoch?: (result: EpochResult) => void): EpochResult[] {
  const opts = checkOptions(options);
  checkFunction(onEpoch, 'onEpoch');
  checkFunction(opts.onBatch, 'onBatch');
  const epochs = opts.epochs ?? 5;
  const batchSize = opts.batchSize ?? 32;
  checkInteger(epochs, 'epochs', 0, 1e6);
  checkInteger(batchSize, 'batchSize', 1, 1e6);
  checkBoolean(opts.shuffle, 'shuffle');
  const { fit, heldOut } = splitData(model, data, classifierClasses(model), opts);
  const batches = Math.ceil(fit.y.length / batchSize);
  const trainer = new Trainer(model, { ...opts, decaySteps: opts.decaySteps ?? epochs * batches });
  const shuffle = seededRandom(((opts.seed ?? 1) ^ 0x5bd1e995) >>> 0);
  const n = fit.y.length;
  const per = fit.x.size / Math.max(n, 1);
  const history: EpochResult[] = [];
  const report = (r: EpochResult) => {
    history.push(r);
    onEpoch?.(r);
  };
  report({ epoch: 0, loss: NaN, accuracy: NaN, ...evaluate(model, heldOut), seconds: 0 });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start = performance.now();
    const order = permutation(n, opts.shuffle === false ? null : shuffle);
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < batches; b++) {
      const rows = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      const x = new Tensor([rows.length, ...model.inputShape], new Float32Array(rows.length * per));
      const y = new Int32Array(rows.length);
      rows.forEach((r, i) => {
        x.data.set(fit.x.data.subarray(r * per, (r + 1) * per), i * per);
        y[i] = fit.y[r];
      });
      const step = trainer.step(x, y);
      lossSum += step.loss * rows.length;
      correct += step.correct;
      const done = Math.min(n, (b + 1) * batchSize);
      opts.onBatch?.({ epoch, epochs, batch: b + 1, batches, loss: lossSum / done, imagesPerSecond: done / ((performance.now() - start) / 1000) });
    }
    report({ epoch, loss: lossSum / n, accuracy: correct / n, ...evaluate(model, heldOut), seconds: (performance.now() - start) / 1000 });
  }
  return history;
}

/** The held-out mean cross-entropy and accuracy of the model as it runs at inference; NaN with no held-out data. */
export function evaluate(model: Model, data: TrainData | null, chunk = 256): { heldOutLoss: number; heldOutAccuracy: number } {
  if (!data || data.y.length === 0) return { heldOutLoss: NaN, heldOutAccuracy: NaN };
  const n = data.y.length;
  const per = data.x.size / n;
  const output = model.layers[model.outputIndex];
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const part = new Tensor([count, ...model.inputShape], data.x.data.subarray(start * per, (start + count) * per));
    const record = model.run(part, model.outputIndex, true).records.get(output.name)!;
    const r = softmaxCrossEntropy(output.activation === 'softmax' ? record.z : record.output, data.y.subarray(start, start + count));
    loss += r.loss * count;
    correct += r.correct;
  }
  return { heldOutLoss: loss / n, heldOutAccuracy: correct / n };
}

function splitData(model: Model, data: TrainData, classes: number, opts: TrainOptions): { fit: TrainData; heldOut: TrainData | null } {
  checkData(model, data, classes, 'data');
  if (opts.validationData !== undefined) {
    if (opts.validationSplit !== undefined) throw argumentError('give validationData or validationSplit, not both');
    checkData(model, opts.validationData, classes, 'validationData');
    return { fit: data, heldOut: opts.validationData };
  }
  const fraction = opts.validationSplit ?? 0.2;
  checkNumber(fraction, 'validationSplit', { min: 0, max: 1 });
  const n = data.y.length;
  const held = Math.floor(n * fraction);
  if (n - held === 0) throw argumentError(`validationSplit ${fraction} holds out all ${n} samples; nothing is left to train on`);
  const { train, heldOut } = splitAt(data.x, data.y, n - held);
  return { fit: train, heldOut: held > 0 ? heldOut : null };
}

function checkData(model: Model, data: TrainData, classes: number, name: string): void {
  if (data === null || typeof data !== 'object' || !('x' in data) || !('y' in data)) throw argumentError(`${name} must be { x: Tensor (N, ${model.inputShape.join(', ')}), y: Int32Array (N) }, not ${describe(data)}`);
  checkTensor(data.x, `${name}.x`);
  if (data.x.rank !== model.inputShape.length + 1 || !sameShape(data.x.shape.slice(1), model.inputShape)) {
    throw new ConvscopeError('E_SHAPE', `${name}.x has shape ${formatShape(data.x.shape)} but the model takes a batch (N, ${model.inputShape.join(', ')})`);
  }
  checkLabels(data.y, data.x.shape[0], classes, `${name}.y`);
}

/** 0..n-1, shuffled (Fisher-Yates) when a generator is given. */
function permutation(n: number, random: (() => number) | null): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (random) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  return order;
}
