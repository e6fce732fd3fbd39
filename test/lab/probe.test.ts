/**
 * The lecture's initialisation claims, pinned on a deep MLP without biases and N(0, 1) inputs, one forward pass
 * through the active backend's kernels. Widths are chosen so each claim holds at that width (the effective gain of
 * `scale·randn` is `scale·√width`): 0.05·randn saturates tanh at the lecture's width of 4096, not at 1024.
 */
import { describe, expect, it } from 'vitest';
import { init, initProbe, loadBackend } from '../../src/index.js';

await loadBackend();

describe('initProbe: the lecture\'s deep MLP', () => {
  it('tanh with 0.01·randn: activations collapse toward 0 layer by layer', () => {
    const { layers } = initProbe({ depth: 6, width: 1024, batch: 16, activation: 'tanh', init: init.smallRandom(0.01), seed: 1 });
    expect(layers).toHaveLength(6);
    for (let l = 1; l < 6; l++) expect(layers[l].std).toBeLessThan(0.5 * layers[l - 1].std);
    expect(layers[5].std).toBeLessThan(0.005);
    expect(Math.max(Math.abs(layers[5].min), Math.abs(layers[5].max))).toBeLessThan(0.02);
  });

  it('tanh with 0.05·randn at width 4096: saturates at ±1 in every layer', () => {
    const { layers } = initProbe({ depth: 6, width: 4096, batch: 16, activation: 'tanh', init: init.smallRandom(0.05), seed: 2 });
    for (const layer of layers) {
      expect(layer.saturatedFraction).toBeGreaterThan(0.25);
      const c = layer.histogram.counts, ends = c[0] + c[c.length - 1], middle = c[c.length / 2 - 1] + c[c.length / 2];
      expect(ends).toBeGreaterThan(5 * middle); // a U: piled against ±1
      expect(layer.std).toBeGreaterThan(0.8);
    }
  });

  it('tanh with Xavier: the spread stays healthy in every layer', () => {
    const { layers } = initProbe({ depth: 6, width: 1024, activation: 'tanh', init: 'xavier', seed: 3 });
    for (const layer of layers) {
      expect(layer.std).toBeGreaterThan(0.2);
      expect(layer.std).toBeLessThan(0.8);
      expect(layer.saturatedFraction).toBeLessThan(0.05);
    }
    expect(layers[5].std / layers[0].std).toBeGreaterThan(0.35);
  });

  it('ReLU with Xavier: the second moment halves per layer, so the std shrinks by 1/√2 each layer', () => {
    // The issue says "std roughly halves"; it is the variance (mean square) that halves: E[relu(z)²] = Var(z)/2.
    const { layers } = initProbe({ depth: 6, width: 1024, activation: 'relu', init: 'xavier', seed: 4 });
    for (let l = 1; l < 6; l++) {
      expect(layers[l].meanSquare / layers[l - 1].meanSquare).toBeGreaterThan(0.4);
      expect(layers[l].meanSquare / layers[l - 1].meanSquare).toBeLessThan(0.6);
      expect(layers[l].std / layers[l - 1].std).toBeGreaterThan(0.6);
      expect(layers[l].std / layers[l - 1].std).toBeLessThan(0.8);
    }
    expect(layers[5].std).toBeLessThan(0.25 * layers[0].std);
  });

  it('ReLU with Kaiming: stays healthy (std roughly constant through the layers)', () => {
    const { layers, config } = initProbe({ depth: 6, width: 1024, activation: 'relu', init: init.kaimingNormal({ nonlinearity: 'relu' }), seed: 5 });
    expect(config.init).toContain('kaimingNormal');
    for (let l = 1; l < 6; l++) {
      expect(layers[l].std / layers[l - 1].std).toBeGreaterThan(0.85);
      expect(layers[l].std / layers[l - 1].std).toBeLessThan(1.15);
    }
    expect(layers[5].std / layers[0].std).toBeGreaterThan(0.75);
    expect(layers[5].std / layers[0].std).toBeLessThan(1.33);
  });

  it('takes init names like Linear, is deterministic per seed, and checks its options', () => {
    const a = initProbe({ depth: 2, width: 64, activation: 'sigmoid', init: 'kaimingUniform', seed: 9, bins: 10 });
    const b = initProbe({ depth: 2, width: 64, activation: 'sigmoid', init: 'kaimingUniform', seed: 9, bins: 10 });
    expect(a.layers.map((l) => l.std)).toEqual(b.layers.map((l) => l.std));
    expect(a.layers[0].histogram.counts).toHaveLength(10);
    expect(a.layers[0].histogram.counts.reduce((s, c) => s + c, 0)).toBe(16 * 64);
    expect([a.layers[0].histogram.lo, a.layers[0].histogram.hi]).toEqual([0, 1]);
    expect(a.input.std).toBeGreaterThan(0.9);
    expect(a.preactivations).toHaveLength(2);
    expect(() => initProbe({ width: 0 })).toThrow(/initProbe: expected width to be an integer in \[1, 65536\], received 0/);
    expect(() => initProbe({ activation: 'tanhh' as never })).toThrow(/did you mean 'tanh'/);
    expect(() => initProbe({ init: 'xavir' as never })).toThrow(/init/);
    expect(() => initProbe({ widht: 8 } as never)).toThrow(/unknown option 'widht'; did you mean 'width'/);
  });

  it("the lecture's conv rule fanIn = k²·C_in is what the init helpers use", async () => {
    const { convFanIn, calculateFans } = await import('../../src/index.js');
    expect(convFanIn(3, 16)).toBe(144);
    expect(calculateFans([32, 16, 3, 3]).fanIn).toBe(convFanIn(3, 16));
    expect(init.kaimingNormal({ nonlinearity: 'relu' }).std(convFanIn(3, 16), 0)).toBeCloseTo(Math.sqrt(2 / 144), 12);
  });
});
