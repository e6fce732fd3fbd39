/**
 * descent: train neural networks on the CPU, fast, in Node.js and the browser, with PyTorch semantics.
 * @example
 * import { loadBackend, Sequential, Linear, ReLU, Adam, Trainer } from 'descent-nn';
 * await loadBackend();
 */
export * from './backends/index.js';
export type { F32Buf, I32Buf } from './buffers.js';
export type { Kernels, KernelName, ActivationName, ArgKind, ArgSpec, KernelSpec, Expr, ExprNode, Cond } from './kernels.js';
export { KERNELS, KERNEL_SIGNATURES } from './kernels.js';
export * from './errors.js';
export { Rng, manualSeed, globalRng } from './rng.js';
export type { RngState } from './rng.js';

export { Parameter } from './nn/parameter.js';
export { Layer, sizeOf } from './nn/layer.js';
export type { Shape, StateBuffer, ParamValues } from './nn/layer.js';
export { Linear } from './nn/linear.js';
export type { LinearOptions } from './nn/linear.js';
export { Activation, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, SiLU, Softplus, Softmax, activationLayer, activationFunctions } from './nn/activations.js';
export { ACTIVATION_TABLE, ACTIVATION_NAMES, activationParams, activationRepr } from './nn/activation-table.js';
export type { ActivationRecord, ActivationParam, ActivationParams } from './nn/activation-table.js';
export { erf, erfc } from './special.js';
export { Sequential } from './nn/sequential.js';
export { tensorEntry } from './nn/sequential.js';
export type { SequentialOptions, StateDict, StateDictInput, TensorEntry } from './nn/sequential.js';
export { Flatten } from './nn/flatten.js';
export type { FlattenOptions } from './nn/flatten.js';
export { Conv2d } from './nn/conv.js';
export type { Conv2dOptions, Pair } from './nn/conv.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './nn/pooling.js';
export type { Pool2dOptions, AvgPool2dOptions } from './nn/pooling.js';
export { BatchNorm1d, BatchNorm2d } from './nn/batchnorm.js';
export type { BatchNormOptions } from './nn/batchnorm.js';
export { Dropout } from './nn/dropout.js';
export { buildModel, ARCHITECTURES } from './nn/architecture.js';
export type { BuildOptions } from './nn/architecture.js';
export type { DropoutOptions } from './nn/dropout.js';
/** Weight initialisers with torch.nn.init's formulas (`init.xavierNormal()`, `init.kaimingUniform({ a })`, …), for `Linear`'s `init` option. */
export * as init from './nn/init.js';
export { calculateGain, calculateFans, convFanIn } from './nn/init.js';
export type { Initializer, KaimingOptions, Nonlinearity, InitName } from './nn/init.js';
export { crossEntropy, mse, bceWithLogits, LOSSES } from './nn/loss.js';
export { softmax, argmax } from './nn/probabilities.js';
export type { Loss, LossName, Target } from './nn/loss.js';

export { Optimizer } from './optim/optimizer.js';
export type { OptimizerStateDict, OptimizerState } from './optim/optimizer.js';
export { SGD, Momentum, Nesterov } from './optim/sgd.js';
export type { SGDOptions } from './optim/sgd.js';
export { Adagrad, RMSprop, Adam, AdamW } from './optim/adaptive.js';
export type { AdagradOptions, RMSpropOptions, AdamOptions } from './optim/adaptive.js';
export { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, OneCycleLR, ReduceLROnPlateau } from './optim/schedulers.js';
export type { Scheduler, OneCycleOptions, PlateauOptions } from './optim/schedulers.js';
export { clipGradNorm, clipGradValue } from './optim/clip.js';

export { Trainer, epochSummary } from './trainer.js';
export type { TrainerOptions, Evaluation, FitOptions, History, EpochLogs, BatchLogs, Dataset, EpochSums, StopPoint } from './trainer.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';

// The lab (issue 5): the lecture's experiments as API — diagnostics, init probes, activation curves, landscapes, pictures.
export { activationStats, parameterStats, snapshot, findNonFinite, DiagnosticsRecorder } from './lab/diagnostics.js';
export type { ActivationStatsOptions, ParameterStats, NonFiniteReport, RecorderOptions, BatchRecord, EpochRecord } from './lab/diagnostics.js';
export type { LayerStats, Histogram } from './lab/stats.js';
export { initProbe } from './lab/probe.js';
export { convInitProbe } from './lab/conv-probe.js';
export type { ConvInitProbeOptions, ConvInitProbeResult, ConvFanIn } from './lab/conv-probe.js';
export type { InitProbeOptions, InitProbeResult } from './lab/probe.js';
export { activationCurve, activationAt } from './lab/curves.js';
export type { ActivationCurve } from './lab/curves.js';
export { SURFACES, SURFACE_NAMES, OPTIMIZER_NAMES, trajectory, stepSizes, firstStep, effectiveLearningRates } from './lab/landscapes.js';
export type { Surface, SurfaceName, OptimizerName, Trajectory, TrajectoryOptions } from './lab/landscapes.js';
export { histogramPanelsSvg, initProbeSvg, activationCurvesSvg, lossCurvesSvg, trajectoriesSvg } from './lab/svg.js';
export { filtersSvg } from './lab/filters.js';
export type { FiltersSvgOptions, FilterWeight } from './lab/filters.js';
export type { Series, HistogramPanelsOptions } from './lab/svg.js';
export { sparkline, histogramBars, layerTable, trajectoryTable } from './lab/terminal.js';

// Data and checkpoints (issue 6). Loaders read files through src/node.ts (process.getBuiltinModule), so this
// module has no static Node imports; parseIdx / parseCsv / encodeCheckpoint work on bytes in browsers too.
export { parseIdx, loadIdx, loadIdxDataset, idxDataset, isGzip } from './data/idx.js';
export type { IdxArray, IdxType } from './data/idx.js';
export { parseCsv, loadCsv } from './data/csv.js';
export type { CsvOptions, CsvData } from './data/csv.js';
export { loadDigits } from './data/digits.js';
export type { LabelledData } from './data/digits.js';
export { loadFashionMnist, loadMnist, findMnistFiles, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './data/mnist.js';
export type { MnistSplits, MnistFiles } from './data/mnist.js';
export { scaleToUnit, fitStandardizer, standardize, trainValidationSplit, selectRows, takeRows, oneHot, confusionMatrix } from './data/transforms.js';
export type { Standardizer } from './data/transforms.js';
export { randomHorizontalFlip, randomCrop } from './data/augment.js';
export type { Augmentation, ImageShape } from './data/augment.js';
export { saveCheckpoint, loadCheckpoint, createCheckpoint, restoreCheckpoint, encodeCheckpoint, decodeCheckpoint, crc32 } from './checkpoint.js';
export type { Checkpoint, CheckpointParts, SaveOptions } from './checkpoint.js';

// Models that travel (issue 13): safetensors in and out (bytes in browsers, files in Node).
export { toSafetensors, saveSafetensors, loadSafetensors, readSafetensors, decodeSafetensors, halfToFloat, MAX_HEADER_BYTES } from './io/safetensors.js';
export type { SafetensorsDtype, SafetensorsOptions, SafetensorsContents, TensorSource } from './io/safetensors.js';
export { toTorchCheckpoint, saveTorchCheckpoint, loadTorchCheckpoint } from './io/torch-checkpoint.js';
export type { TorchCheckpointParts } from './io/torch-checkpoint.js';
export { torchClassOf } from './optim/torch.js';
export type { TorchOptimizerStateDict } from './optim/torch.js';
// ONNX export lives at 'descent-nn/onnx' (src/io/onnx.ts): it needs protobufjs, and this entry point imports
// nothing outside the package, so browsers load it as plain ESM without a bundler.
