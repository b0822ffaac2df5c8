// The public API of convscope: the engine, the layers and the methods, with models and images
// read from bytes, files maps and URLs. It imports no Node built-in, so it runs in browsers and
// bundles anywhere; the Node entry (src/node.ts) adds paths, files written whole, and threads.
export { ConvscopeError, type ErrorCode } from './errors.ts';
export { memoryLimit, setMemoryLimit } from './limits.ts';
export { Tensor, sizeOf, formatShape, kerasPadding2d, samePadding, type Padding2d } from './tensor.ts';
export { conv2d, conv2dBackwardData, conv2dBackwardFilter, type Conv2dOptions } from './ops/conv2d.ts';
export { maxPool2d, maxUnpool2d, avgPool2d, avgPool2dBackward, type Pool2dOptions, type MaxPoolResult } from './ops/pool2d.ts';
export { matmul, type MatmulOptions } from './ops/matmul.ts';
export { relu, reluBackward, sigmoid, tanh, sigmoidBackward, tanhBackward, add, mul, scale } from './ops/eltwise.ts';
export { softmax } from './ops/softmax.ts';
export { channelAffine } from './ops/channel-affine.ts';
export { useKernels, withKernels, kernels, defaultKernelSetName } from './runtime/backend.ts';
export { provideWasmBytes, wasmSimdSupported, wasmRelaxedSimdSupported } from './runtime/wasm-module.ts';
export type { KernelSetName, ReluRule } from './runtime/kernel-set.ts';
export { parseNpy, parseNpyTensor, toNpy, type NpyArray, type NpyData } from './io/npy.ts';
export { loadModel, loadModelSpec, type ModelSource, type ModelBytes, type ModelFiles, type LoadOptions } from './model/load.ts';
export { Model, type ForwardResult, type RunOptions, type PredictOptions } from './model/model.ts';
export type { ModelSpec, LayerSpec } from './model/spec.ts';
export type { Layer, LayerRecord } from './layers/layer.ts';
export { readKerasH5, KerasH5Error } from './io/keras-h5.ts';
export { readKerasZip } from './io/keras-zip.ts';
export { modelFolderFiles, readModelFolder, type ModelFolderFiles } from './io/model-folder.ts';
export { readImageTensor, type ImageInputOptions, type ImageSource, type ImageDataLike } from './io/image-input.ts';
export { modelInputFromBytes, type InputOptions } from './io/model-input.ts';
export { backwardNet, BACKWARD_METHODS, type BackwardMethod, type BackwardNetOptions } from './methods/backward-net.ts';
export { occlusion, type OcclusionOptions, type OcclusionResult } from './methods/occlusion.ts';
export { gradCam, defaultGradCamLayer, type GradCamOptions, type GradCamResult } from './methods/grad-cam.ts';
export { maximize, type MaximizeOptions, type MaximizeResult } from './methods/maximize.ts';
export { topChannels, type TopChannel } from './methods/top-channels.ts';
export { buildReport, type Report } from './methods/report.ts';
export { reportHtml, reportFiles } from './io/html-report.ts';
export { renderGrid, encodePng, encodeJpeg, Canvas, type GridOptions } from './io/png-output.ts';
export { train, evaluate, type TrainData, type TrainOptions, type EpochResult, type BatchProgress } from './train/train.ts';
export { Trainer, trainableWeights, type TrainerOptions, type StepResult, type TrainableWeight } from './train/trainer.ts';
export { Optimizer, type OptimizerOptions, type OptimizerName, type LearningRateSchedule } from './train/optimizers.ts';
export { backpropagate } from './train/backprop.ts';
export { softmaxCrossEntropy, type LossResult } from './train/loss.ts';
export { sequential, mnistCnn, type SequentialLayer, type SequentialOptions } from './train/sequential.ts';
