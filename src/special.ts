/**
 * Float64 special functions and the float64 forms of the smooth activations, shared by the js reference kernels
 * (which round the result to float32 once) and the activation table (gradient checks, lab curves).
 * erfc: for |x| < 2 the everywhere-positive series erf(x) = (2/√π)·e^(−x²)·Σ 2ⁿx^(2n+1)/(2n+1)!! (no cancellation),
 * for |x| ≥ 2 the continued fraction erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))) evaluated
 * bottom-up from depth 60; checked against CPython's math.erfc: relative error ≤ 1e-13 on [−27, 27].
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_PI = 0.5641895835477563;
const INV_SQRT_2PI = 0.3989422804014327;
const SQRT1_2 = Math.SQRT1_2;
/** 2·√(2/π) and 2·√(2/π)·0.044715: PyTorch's tanh-form GELU written as x·σ(GELU_C1·x + GELU_C3·x³). */
const GELU_C1 = 1.5957691216057308;
const GELU_C3 = 0.07135481627228699;

/** The complementary error function 1 − erf(x), accurate in relative terms in both tails. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  if (x > 27) return 0; // erfc(27) ≈ 5e-319: below the smallest float64
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return (Math.exp(-x * x) * INV_SQRT_PI) / f;
}

/** The error function. @example erf(1)  // 0.8427007929497149 */
export function erf(x: number): number {
  if (Math.abs(x) < 2) return Math.sign(x) * erfSeries(Math.abs(x));
  return x > 0 ? 1 - erfc(x) : erfc(-x) - 1;
}

function erfSeries(x: number): number {
  let term = x, sum = x;
  const x2 = 2 * x * x;
  for (let k = 1; term > 1e-17 * sum; k++) {
    term *= x2 / (2 * k + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** The logistic function, with exp's argument kept ≤ 0. */
export function sigmoid64(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** The standard normal CDF Φ(x). */
export const normalCdf = (x: number): number => 0.5 * erfc(-x * SQRT1_2);

export const elu64 = (x: number, alpha: number): number => (x <= 0 ? alpha * Math.expm1(x) : x);
export const eluGrad64 = (x: number, alpha: number): number => (x <= 0 ? alpha * Math.exp(x) : 1);

export const gelu64 = (x: number): number => x * normalCdf(x);
export const geluGrad64 = (x: number): number => normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);

/** ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³): the σ form avoids 1 + tanh cancelling for x < 0. */
export const geluTanh64 = (x: number): number => x * sigmoid64(x * (GELU_C1 + GELU_C3 * x * x));
export function geluTanhGrad64(x: number): number {
  const s = sigmoid64(x * (GELU_C1 + GELU_C3 * x * x));
  return s + x * s * (1 - s) * (GELU_C1 + 3 * GELU_C3 * x * x);
}

export const silu64 = (x: number): number => x * sigmoid64(x);
export function siluGrad64(x: number): number {
  const s = sigmoid64(x);
  return s * (1 + x * (1 - s));
}

/**
 * PyTorch's Softplus: `log1p(exp(βx))/β`, and `x` itself where `βx > threshold`. βx is rounded to float32
 * before the comparison, as PyTorch computes it, so every backend takes the same branch.
 */
export function softplus64(x: number, beta: number, threshold: number): number {
  const t = beta * x;
  if (Math.fround(t) > threshold) return x;
  return (Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)))) / beta;
}
export const softplusGrad64 = (x: number, beta: number, threshold: number): number =>
  Math.fround(beta * x) > threshold ? 1 : sigmoid64(beta * x);
