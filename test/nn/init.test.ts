/** Initialisers: PyTorch's gains and fans, the lecture's three rules, exact (untruncated) normal draws. */
import { describe, expect, it } from 'vitest';
import { calculateFans, calculateGain, convFanIn, init, Rng } from '../../src/index.js';

function stats(a: Float32Array) {
  let s = 0, s2 = 0, max = 0;
  for (const v of a) {
    s += v;
    s2 += v * v;
    max = Math.max(max, Math.abs(v));
  }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(s2 / a.length - mean * mean), max };
}

describe('initialisers', () => {
  const fanIn = 512, fanOut = 256, N = fanIn * fanOut;
  const cases: [string, init.Initializer, number][] = [
    ['smallRandom', init.smallRandom(), 0.01],
    ['smallRandom(0.05)', init.smallRandom(0.05), 0.05],
    ['xavier (lecture)', init.xavier(), 1 / Math.sqrt(fanIn)],
    ['xavierNormal', init.xavierNormal(), Math.sqrt(2 / (fanIn + fanOut))],
    ['xavierUniform tanh gain', init.xavierUniform({ gain: 5 / 3 }), ((5 / 3) * Math.sqrt(6 / (fanIn + fanOut))) / Math.sqrt(3)],
    ['kaimingNormal relu', init.kaimingNormal({ nonlinearity: 'relu' }), Math.sqrt(2 / fanIn)],
    ['kaimingNormal fanOut', init.kaimingNormal({ mode: 'fanOut', nonlinearity: 'relu' }), Math.sqrt(2 / fanOut)],
    ['kaimingNormal leaky 0.1', init.kaimingNormal({ a: 0.1 }), Math.sqrt(2 / (1 + 0.01)) / Math.sqrt(fanIn)],
    ['kaimingUniform', init.kaimingUniform(), Math.sqrt(2) * Math.sqrt(3 / fanIn) / Math.sqrt(3)],
    ['pytorchDefault', init.pytorchDefault(), 1 / Math.sqrt(fanIn) / Math.sqrt(3)],
  ];
  for (const [name, initializer, std] of cases)
    it(`${name} draws with std ${std.toPrecision(4)} (within 4 standard errors)`, () => {
      expect(initializer.std(fanIn, fanOut)).toBeCloseTo(std, 12);
      const w = new Float32Array(N);
      initializer.fill(w, fanIn, fanOut, new Rng(7));
      const s = stats(w);
      const se = std / Math.sqrt(2 * N);
      expect(Math.abs(s.std - std)).toBeLessThan(4 * se);
      expect(Math.abs(s.mean)).toBeLessThan((4 * std) / Math.sqrt(N));
    });

  it('draws exact normals, not truncated ones: values beyond 4σ occur at the Gaussian rate', () => {
    const w = new Float32Array(1 << 20);
    init.smallRandom(1).fill(w, 1, 1, new Rng(11));
    const beyond = w.filter((v) => Math.abs(v) > 4).length;
    // P(|z| > 4) = 6.33e-5 → ~66 of 2^20; truncated normals (e.g. at 2σ) would give none.
    expect(beyond).toBeGreaterThan(30);
    expect(beyond).toBeLessThan(110);
  });

  it("has PyTorch's gains", () => {
    expect(calculateGain('linear')).toBe(1);
    expect(calculateGain('sigmoid')).toBe(1);
    expect(calculateGain('tanh')).toBe(5 / 3);
    expect(calculateGain('relu')).toBe(Math.SQRT2);
    expect(calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(calculateGain('selu')).toBe(0.75);
  });

  it("computes fans like PyTorch and the lecture's conv rule fanIn = k²·C_in", () => {
    expect(calculateFans([256, 784])).toEqual({ fanIn: 784, fanOut: 256 });
    expect(calculateFans([64, 3, 3, 3])).toEqual({ fanIn: 27, fanOut: 576 });
    expect(convFanIn(3, 3)).toBe(27);
    expect(convFanIn(5, 16)).toBe(400);
  });

  it('is reproducible from a seed', () => {
    const a = new Float32Array(100), b = new Float32Array(100);
    init.kaimingNormal().fill(a, 10, 10, new Rng(5));
    init.kaimingNormal().fill(b, 10, 10, new Rng(5));
    expect(a).toEqual(b);
  });
});
