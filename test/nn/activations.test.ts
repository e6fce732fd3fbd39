/**
 * The activation table and the layers built on it: float64 derivatives against central differences for every
 * record, PyTorch reprs and option checks, the 'auto' init rule, in-place rules (activations whose backward
 * reads x never overwrite their input), and Softmax (forward on every backend, backward refused).
 */
import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_NAMES, ACTIVATION_TABLE, activationLayer, activationParams, activationRepr, ELU, erf, erfc, GELU, LeakyReLU, Linear, manualSeed,
  ReLU, Sequential, setBackend, SiLU, Softmax, Softplus, Trainer, SGD,
} from '../../src/index.js';
import { BACKENDS, randn, rng } from '../helpers.js';

describe('activation table', () => {
  it('every record: float64 derivative matches central differences of its float64 forward, at defaults', () => {
    for (const name of ACTIVATION_NAMES) {
      const spec = ACTIVATION_TABLE[name], p = activationParams('test', name);
      for (let x = -12.05; x < 12; x += 0.1) {
        const h = 1e-6, numeric = (spec.f64(x + h, p) - spec.f64(x - h, p)) / (2 * h);
        const analytic = spec.grad64(x, p);
        if (!(Math.abs(analytic - numeric) <= 1e-7 + 1e-6 * Math.abs(numeric))) expect.fail(`${name}: f′(${x}) = ${analytic}, numeric ${numeric}`);
      }
    }
  });

  it('erf and erfc meet reference values in both tails', () => {
    // Values from CPython's math.erf/erfc (correctly rounded to the digits shown).
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 15);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 12);
    expect(erfc(10) / 2.088487583762545e-45).toBeCloseTo(1, 12);
    expect(erfc(-2) - 1.9953222650189528).toBeCloseTo(0, 15);
    expect(Number.isNaN(erfc(NaN))).toBe(true);
  });

  it('gives PyTorch reprs and rejects bad parameters with ERR_OPTION', () => {
    expect(new ELU().toString()).toBe('ELU(alpha=1.0)');
    expect(new ELU({ alpha: 0.5 }).toString()).toBe('ELU(alpha=0.5)');
    expect(new GELU().toString()).toBe("GELU(approximate='none')");
    expect(new GELU({ approximate: 'tanh' }).toString()).toBe("GELU(approximate='tanh')");
    expect(new SiLU().toString()).toBe('SiLU()');
    expect(new Softplus().toString()).toBe('Softplus(beta=1, threshold=20)');
    expect(new Softplus({ beta: 2.5, threshold: 10 }).toString()).toBe('Softplus(beta=2.5, threshold=10)');
    expect(new LeakyReLU(0.2).toString()).toBe('LeakyReLU(negative_slope=0.2)');
    expect(new Softmax().toString()).toBe('Softmax(dim=1)');
    for (const name of ACTIVATION_NAMES) expect(activationLayer(name).toString()).toBe(activationRepr(name, activationParams('t', name)));
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => new Softplus({ beta: 0 }))).toBe('ERR_OPTION');
    expect(code(() => new Softplus({ beta: NaN }))).toBe('ERR_OPTION');
    expect(code(() => new ELU({ alpha: Infinity }))).toBe('ERR_OPTION');
    expect(code(() => new ELU({ alhpa: 1 } as never))).toBe('ERR_OPTION');
    expect(code(() => new GELU({ approximate: 'erf' } as never))).toBe('ERR_OPTION');
    expect(code(() => new LeakyReLU(-0.1))).toBe('ERR_OPTION');
    expect(code(() => activationLayer('swish' as never))).toBe('ERR_OPTION');
    expect(code(() => activationLayer('relu', { slope: 0.1 }))).toBe('ERR_OPTION');
    expect(code(() => new Softmax({ dim: 0 }))).toBe('ERR_OPTION');
  });

  it("'auto' init: Kaiming before the ReLU family (ReLU, LeakyReLU, ELU, GELU, SiLU), Xavier before the rest", () => {
    manualSeed(1);
    const kaiming = new Set(['relu', 'leaky_relu', 'elu', 'gelu', 'gelu_tanh', 'silu']);
    for (const name of ACTIVATION_NAMES) {
      const model = new Sequential([new Linear(16, 16), activationLayer(name), new Linear(16, 2)]);
      const chosen = (model.layers[0] as Linear).initializer.name;
      expect(chosen.startsWith('kaimingNormal'), `${name}: ${chosen}`).toBe(kaiming.has(name));
    }
  });
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('activation layers on %s', (_name, backend) => {
  it('backward-from-x activations keep their input intact (no in-place forward), backward-from-y ones may overwrite it', () => {
    setBackend(backend);
    for (const name of ACTIVATION_NAMES) {
      manualSeed(2);
      const model = new Sequential([new Linear(6, 9), activationLayer(name), new Linear(9, 3)]);
      const x = randn(rng(3), 4 * 6), labels = new Int32Array([0, 1, 2, 0]);
      model.prepare(4);
      const z = model.layers[0].forwardBuf(model.inputBuffer(x, 4), 4);
      const before = z.data.slice(0, 36);
      const y = model.layers[1].forwardBuf(z, 4);
      expect(y === z, `${name} in place`).toBe(ACTIVATION_TABLE[name].backwardFrom === 'y');
      if (y !== z) expect(Array.from(z.data.subarray(0, 36))).toEqual(Array.from(before));
      // One training step runs forward and backward through the layer without error and changes the weights.
      const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
      const w0 = model.parameters()[0].data.slice();
      expect(Number.isFinite(trainer.step(x, labels))).toBe(true);
      expect(model.parameters()[0].data.some((v, i) => v !== w0[i])).toBe(true);
      model.dispose();
    }
  });

  it('Softmax gives row probabilities at inference and refuses to train with a pointer to crossEntropy', () => {
    setBackend(backend);
    manualSeed(5);
    const model = new Sequential([new Linear(4, 3), new ReLU(), new Linear(3, 5), new Softmax()]);
    const x = randn(rng(4), 6 * 4);
    const p = model.forward(x, 6);
    for (let i = 0; i < 6; i++) {
      const row = p.subarray(i * 5, i * 5 + 5);
      expect(row.every((v) => v > 0 && v < 1)).toBe(true);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
    }
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: 'crossEntropy' });
    expect(() => trainer.step(x, new Int32Array(6))).toThrow(expect.objectContaining({ code: 'ERR_STATE', message: expect.stringMatching(/Softmax is for inference.*crossEntropy/) }));
  });
});
