/**
 * Reading a classifier's outputs: class probabilities (softmax over each row of logits, in float64 per row, the
 * maximum subtracted first so large logits do not overflow) and the predicted class per row. Plain CPU code for
 * results, not the training path: the losses fuse their own softmax into their kernels.
 */
import { checkF32, checkInt } from '../check.js';
import { shapeError } from '../errors.js';

function rowsOf(call: string, values: Float32Array, classes: number): number {
  checkF32(call, 'logits', values);
  checkInt(call, 'classes', classes, 1);
  if (values.length % classes !== 0) throw shapeError(call, 'logits', `[*, ${classes}]`, `length ${values.length}`);
  return values.length / classes;
}

/**
 * Class probabilities from logits `[rows, classes]`, like `torch.softmax(logits, dim=1)`: each row sums to 1.
 * @example
 * const probs = softmax(trainer.predict(x), 10);   // probs[i * 10 + c]: probability of class c for row i
 */
export function softmax(logits: Float32Array, classes: number): Float32Array {
  const rows = rowsOf('softmax', logits, classes);
  const out = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[o + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[o + c] - max);
    for (let c = 0; c < classes; c++) out[o + c] = Math.exp(logits[o + c] - max) / sum;
  }
  return out;
}

/**
 * The index of the largest value in each row of `[rows, classes]` (the first one on ties): predicted labels.
 * @example
 * const labels = argmax(trainer.predict(x), 10);   // Int32Array, one class index per row
 */
export function argmax(values: Float32Array, classes: number): Int32Array {
  const rows = rowsOf('argmax', values, classes);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}
