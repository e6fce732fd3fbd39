/** Sequential, Linear and activation behaviour: PyTorch names and layouts, the auto-init rule, buffers, disposal. */
import { describe, expect, it } from 'vitest';
import { init, LeakyReLU, Linear, manualSeed, ReLU, Sequential, setBackend, Sigmoid, Tanh } from '../../src/index.js';
import { BACKENDS, randn, rng } from '../helpers.js';

describe.each(BACKENDS.map((b) => [b.name, b] as const))('Sequential on %s', (_name, backend) => {
  it('computes x·Wᵀ + b with weights stored [out, in]', () => {
    setBackend(backend);
    const layer = new Linear(3, 2);
    const model = new Sequential([layer]);
    model.loadStateDict({ '0.weight': { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }, '0.bias': { shape: [2], data: new Float32Array([0.5, -1]) } });
    const y = model.forward(new Float32Array([1, 0, -1, 2, 1, 0]));
    expect(Array.from(y)).toEqual([1 - 3 + 0.5, 4 - 6 - 1, 2 + 2 + 0.5, 8 + 5 - 1]);
  });

  it('names parameters like torch.nn.Sequential and round-trips state dicts', () => {
    setBackend(backend);
    manualSeed(1);
    const model = new Sequential([new Linear(4, 8), new ReLU(), new Linear(8, 8, { bias: false }), new Tanh(), new Linear(8, 2)]);
    const sd = model.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '2.weight', '4.weight', '4.bias']);
    expect(sd['0.weight'].shape).toEqual([8, 4]);
    expect(sd['4.bias'].shape).toEqual([2]);
    manualSeed(2);
    const other = new Sequential([new Linear(4, 8), new ReLU(), new Linear(8, 8, { bias: false }), new Tanh(), new Linear(8, 2)]);
    const x = randn(rng(5), 12);
    expect(other.forward(x)).not.toEqual(model.forward(x));
    other.loadStateDict(sd);
    expect(other.forward(x)).toEqual(model.forward(x));
    expect(model.toString()).toContain('(2): Linear(in_features=8, out_features=8, bias=False)');
  });

  it('leaves the model untouched when a state dict does not fit', () => {
    setBackend(backend);
    const model = new Sequential([new Linear(2, 2)]);
    const before = model.stateDict();
    expect(() => model.loadStateDict({ '0.weight': { shape: [2, 2], data: new Float32Array(4).fill(9) }, '0.bias': { shape: [3], data: new Float32Array(3) } })).toThrow(/0.bias/);
    expect(model.stateDict()).toEqual(before);
  });

  it("picks Kaiming before ReLU/LeakyReLU and Xavier otherwise for init 'auto'", () => {
    setBackend(backend);
    const model = new Sequential([new Linear(64, 64), new ReLU(), new Linear(64, 64), new LeakyReLU(0.2), new Linear(64, 64), new Tanh(), new Linear(64, 10), new Sigmoid()]);
    const names = model.layers.filter((l): l is Linear => l instanceof Linear).map((l) => l.initializer.name);
    expect(names).toEqual(['kaimingNormal(a=0, fanIn, relu)', 'kaimingNormal(a=0.2, fanIn, leaky_relu)', 'xavier', 'xavier']);
    expect(new Linear(3, 3, { init: 'zeros' }).weight.data.every((v) => v === 0)).toBe(true);
    const explicit = new Sequential([new Linear(8, 8, { init: init.smallRandom(0.05) }), new ReLU()]);
    expect((explicit.layers[0] as Linear).initializer.name).toBe('smallRandom(0.05)');
  });

  it('infers the batch, grows buffers, and handles a smaller last batch', () => {
    setBackend(backend);
    manualSeed(3);
    const model = new Sequential([new Linear(3, 5), new ReLU(), new Linear(5, 2)]);
    const x = randn(rng(2), 3 * 17);
    const all = model.forward(x);
    expect(all.length).toBe(34);
    const part = model.forward(x.subarray(0, 9));
    expect(Array.from(part)).toEqual(Array.from(all.subarray(0, 6)));
    const again = model.forward(x);
    expect(again).toEqual(all);
  });

  it('never writes into the caller input, even when an activation comes first', () => {
    setBackend(backend);
    const model = new Sequential([new ReLU(), new Linear(2, 2)]);
    const x = new Float32Array([-1, 2, 3, -4]);
    model.forward(x);
    expect(Array.from(x)).toEqual([-1, 2, 3, -4]);
  });

  it('refuses to run after dispose', () => {
    setBackend(backend);
    const model = new Sequential([new Linear(2, 2)]);
    model.dispose();
    expect(() => model.forward(new Float32Array(2))).toThrow(/disposed/);
  });
});
