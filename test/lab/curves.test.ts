/** Activation curves through the backend's forward and backward kernels, at the lecture's points. */
import { describe, expect, it } from 'vitest';
import { activationAt, activationCurve, loadBackend } from '../../src/index.js';

await loadBackend();

describe('activationCurve', () => {
  it("sigmoid′: ≈ 0 at ±10 and exactly 0.25 at 0 (the lecture slide's 1.xx is a slip: σ′ ≤ 1/4)", () => {
    expect(activationAt('sigmoid', -10).dy).toBeLessThan(1e-4);
    expect(activationAt('sigmoid', 0).dy).toBe(0.25);
    expect(activationAt('sigmoid', 10).dy).toBeLessThan(1e-4);
    const c = activationCurve('sigmoid', -10, 10, 2001);
    expect(Math.max(...c.dy)).toBe(0.25);
  });

  it('ReLU′ is 0 at −10, 0 at 0 (PyTorch\'s convention) and 1 at 10', () => {
    expect(activationAt('relu', -10).dy).toBe(0);
    expect(activationAt('relu', 0).dy).toBe(0);
    expect(activationAt('relu', 10).dy).toBe(1);
  });

  it('LeakyReLU′(−10) is the slope; tanh′(0) = 1', () => {
    expect(activationAt('leaky_relu', -10).dy).toBeCloseTo(0.01, 7);
    expect(activationAt('leaky_relu', -10, { slope: 0.2 }).dy).toBeCloseTo(0.2, 7);
    expect(activationAt('leaky_relu', -10, { slope: 0.2 }).y).toBeCloseTo(-2, 5);
    expect(activationAt('tanh', 0).dy).toBe(1);
  });

  it('samples an even grid that contains 0, with values matching the float64 formulas', () => {
    const c = activationCurve('tanh', -3, 3, 61);
    expect(c.x).toHaveLength(61);
    expect(c.x[30]).toBe(0);
    for (let i = 0; i < 61; i++) {
      expect(c.y[i]).toBeCloseTo(Math.tanh(c.x[i]), 5);
      expect(c.dy[i]).toBeCloseTo(1 - Math.tanh(c.x[i]) ** 2, 5);
    }
  });

  it('checks its arguments', () => {
    expect(() => activationCurve('swish' as never)).toThrow(/expected name to be one of/);
    expect(() => activationCurve('relu', 1, 0)).toThrow(/expected to to be a number greater than from/);
    expect(() => activationCurve('relu', -1, 1, 1)).toThrow(/expected n to be an integer/);
  });
});
