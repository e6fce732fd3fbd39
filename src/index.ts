/**
 * descent: train neural networks on the CPU, fast, in Node.js and the browser, with PyTorch semantics.
 * @example
 * import { loadBackend, Sequential, Linear, ReLU, Adam, Trainer } from 'descent';
 * await loadBackend();
 */
export * from './backends/index.js';
export type { F32Buf, I32Buf } from './buffers.js';
export type { Kernels, KernelName, ActivationName, ArgKind } from './kernels.js';
export { KERNELS } from './kernels.js';
export * from './errors.js';
export { Rng, manualSeed, globalRng } from './rng.js';
export type { RngState } from './rng.js';

export { Parameter } from './nn/parameter.js';
export { Layer } from './nn/layer.js';
export { Linear } from './nn/linear.js';
export type { LinearOptions } from './nn/linear.js';
export { Activation, Sigmoid, Tanh, ReLU, LeakyReLU, activationLayer, activationFunctions } from './nn/activations.js';
export { Sequential } from './nn/sequential.js';
export type { StateDict, TensorEntry } from './nn/sequential.js';
export * as init from './nn/init.js';
export { calculateGain, calculateFans, convFanIn } from './nn/init.js';
export type { Initializer, KaimingOptions, Nonlinearity, InitName } from './nn/init.js';
export { crossEntropy, mse, bceWithLogits, LOSSES } from './nn/loss.js';
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
export type { TrainerOptions, FitOptions, History, EpochLogs, BatchLogs, Dataset } from './trainer.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
