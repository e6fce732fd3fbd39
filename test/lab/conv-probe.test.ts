/**
 * The lecture's conv init rule, on every backend: Kaiming with fanIn = k²·C_in keeps the activation scale through
 * a deep Conv-ReLU stack; the dense-layer habit fanIn = C_in makes each layer's weights k times too large, so the
 * std grows about k-fold per layer.
 */
import { describe, expect, it } from 'vitest';
import { convInitProbe, setBackend } from '../../src/index.js';
import { BACKENDS } from '../helpers.js';

describe.each(BACKENDS.map((b) => [b.name, b] as const))('convInitProbe on %s', (_name, backend) => {
  it('keeps the std with fanIn = k²·C_in and explodes with fanIn = C_in', () => {
    setBackend(backend);
    const o = { depth: 8, channels: 16, kernelSize: 3, size: 12, batch: 4, seed: 3 };
    const rule = convInitProbe({ ...o, fanIn: 'conv' });
    const habit = convInitProbe({ ...o, fanIn: 'channels' });
    expect(rule.config.fanInValue).toBe(144);
    expect(habit.config.fanInValue).toBe(16);
    const r = rule.layers.map((l) => l.std), h = habit.layers.map((l) => l.std);
    // Kaiming keeps E[x²] of the pre-activations; the std after ReLU stays within a factor 2 of layer 1's.
    for (const s of r) expect(s / r[0]).toBeGreaterThan(0.5), expect(s / r[0]).toBeLessThan(2);
    // Each layer's weights have 3× the std: activations grow ≈ 3× per layer (8 layers → ≈ 3^7 ≈ 2000×).
    expect(h[7] / h[0]).toBeGreaterThan(300);
    for (let l = 1; l < 8; l++) expect(h[l] / h[l - 1]).toBeGreaterThan(2);
    // Statistics are per channel: 16 units, each a whole feature map.
    expect(rule.layers[0].units).toBe(16);
    expect(rule.layers[0].count).toBe(4 * 16 * 12 * 12);
  });

  it('validates its options', () => {
    setBackend(backend);
    expect(() => convInitProbe({ kernelSize: 4 })).toThrow(/odd/);
    expect(() => convInitProbe({ fanIn: 'rows' as never })).toThrow(/fanIn/);
    expect(() => convInitProbe({ depht: 3 } as never)).toThrow(/depth/);
  });
});
