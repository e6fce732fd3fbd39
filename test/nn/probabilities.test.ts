/** softmax and argmax over rows of logits: against a float64 oracle, stable for huge logits, checked inputs. */
import { describe, expect, it } from 'vitest';
import { argmax, softmax } from '../../src/index.js';
import { randn, rng } from '../helpers.js';

describe('softmax and argmax', () => {
  it('match a float64 softmax, sum to 1 per row, survive ±1e4 logits, and pick the largest', () => {
    const rows = 7, classes = 5, logits = randn(rng(3), rows * classes);
    logits.set([1e4, -1e4, 0, 1e4 - 1, 3], 0);
    const p = softmax(logits, classes);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
      const max = Math.max(...row), z = row.reduce((s, v) => s + Math.exp(v - max), 0);
      for (let c = 0; c < classes; c++) expect(Math.abs(p[r * classes + c] - Math.exp(row[c] - max) / z)).toBeLessThanOrEqual(1e-7);
      expect(Math.abs(p.subarray(r * classes, (r + 1) * classes).reduce((s, v) => s + v, 0) - 1)).toBeLessThanOrEqual(1e-6);
      expect(argmax(logits, classes)[r]).toBe(row.indexOf(max));
    }
    expect(argmax(p, classes)).toEqual(argmax(logits, classes));
  });

  it('rejects a length that is not rows × classes, and bad classes', () => {
    expect(() => softmax(new Float32Array(7), 3)).toThrow(expect.objectContaining({ code: 'ERR_SHAPE', message: 'softmax: expected logits of shape [*, 3], received length 7' }));
    expect(() => argmax(new Float32Array(6), 0)).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
    expect(() => softmax(new Float64Array(6) as never, 3)).toThrow(expect.objectContaining({ code: 'ERR_DTYPE' }));
  });
});
