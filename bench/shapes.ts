/**
 * The trials: small-network GEMM shapes (a dense layer's forward, 784-256-128-10 at batch 128) and square ones,
 * elementwise kernels over 2²⁰ values, a fused Adam step over 2²⁰ parameters, and whole training steps.
 */
export interface GemmTrial {
  kind: 'gemm';
  m: number;
  n: number;
  k: number;
  /** Skip on backends this slow (the js reference at 1024³ would take seconds per repetition). */
  skip?: readonly string[];
}

export const GEMM_TRIALS: GemmTrial[] = [
  { kind: 'gemm', m: 128, n: 256, k: 784 },
  { kind: 'gemm', m: 128, n: 128, k: 256 },
  { kind: 'gemm', m: 128, n: 10, k: 128 },
  { kind: 'gemm', m: 256, n: 256, k: 256 },
  { kind: 'gemm', m: 512, n: 512, k: 512 },
  { kind: 'gemm', m: 1024, n: 1024, k: 1024, skip: ['js'] },
];

/** Elements for activation kernels and parameters for the optimizer step. */
export const ELEMENTWISE_N = 1 << 20;

export interface TrainTrial {
  name: string;
  layers: number[];
  batch: number;
}

export const TRAIN_TRIALS: TrainTrial[] = [
  { name: 'mlp 784-256-128-10 relu adam', layers: [784, 256, 128, 10], batch: 128 },
  { name: 'tiny 2-16-16-2 relu adam', layers: [2, 16, 16, 2], batch: 32 },
];
