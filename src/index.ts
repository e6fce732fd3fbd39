/**
 * descent: train neural networks on the CPU, fast, in Node.js and the browser, with PyTorch semantics.
 * @example
 * import { loadBackend, Sequential, Linear, ReLU, Adam, Trainer } from 'descent';
 * await loadBackend();
 */
export * from './backends/index.js';
export type { F32Buf, I32Buf } from './buffers.js';
export type { Kernels, KernelName, ActivationName } from './kernels.js';
export { KERNELS } from './kernels.js';
export * from './errors.js';
export { Rng, manualSeed, globalRng } from './rng.js';
export type { RngState } from './rng.js';
