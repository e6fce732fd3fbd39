/**
 * Fused optimizer steps on every backend against float64 transcriptions of torch.optim's single-tensor
 * formulas. Each case runs five steps with fresh gradients, so state buffers and the host-computed scalars
 * (first-step dampening, bias corrections, decayed Adagrad rate) are exercised. Sizes cover SIMD widths ±1.
 */
import { describe, it } from 'vitest';
import type { F32Buf } from '../../src/buffers.js';
import type { Backend } from '../../src/index.js';
import { BACKENDS, elementwise, expectClose, put, randn, rng } from '../helpers.js';

const SIZES = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 1031];
const STEPS = 5;

interface Case {
  name: string;
  state: string[];
  /** One step of the kernel on the backend. */
  run(k: Backend['k'], n: number, t: number, w: F32Buf, g: F32Buf, s: F32Buf[]): void;
  /** The same step in float64 on plain arrays. */
  ref(t: number, w: Float64Array, g: Float32Array, s: Float64Array[]): void;
}

function sgd(lr: number, wd: number): Case {
  return {
    name: `sgd lr=${lr} wd=${wd}`, state: [],
    run: (k, n, _t, w, g) => k.sgd_step_f32(n, lr, wd, w, g),
    ref: (_t, w, g) => { for (let i = 0; i < w.length; i++) w[i] -= lr * (g[i] + wd * w[i]); },
  };
}

function momentum(lr: number, mu: number, damp: number, wd: number, nesterov: boolean): Case {
  return {
    name: `momentum lr=${lr} mu=${mu} damp=${damp} wd=${wd} nesterov=${nesterov}`, state: ['buf'],
    run: (k, n, t, w, g, [buf]) => k.momentum_step_f32(n, lr, mu, t === 1 ? 0 : damp, wd, nesterov ? 1 : 0, w, g, buf),
    ref: (t, w, g, [buf]) => {
      for (let i = 0; i < w.length; i++) {
        const d = g[i] + wd * w[i];
        buf[i] = t === 1 ? d : mu * buf[i] + (1 - damp) * d;
        w[i] -= lr * (nesterov ? d + mu * buf[i] : buf[i]);
      }
    },
  };
}

function adagrad(lr: number, lrDecay: number, wd: number, eps: number, initial: number): Case {
  return {
    name: `adagrad lr=${lr} lrDecay=${lrDecay} wd=${wd} init=${initial}`, state: ['sum'],
    run: (k, n, t, w, g, [sum]) => {
      if (t === 1) sum.data.fill(initial);
      k.adagrad_step_f32(n, lr / (1 + (t - 1) * lrDecay), wd, eps, w, g, sum);
    },
    ref: (t, w, g, [sum]) => {
      if (t === 1) sum.fill(initial);
      const clr = lr / (1 + (t - 1) * lrDecay);
      for (let i = 0; i < w.length; i++) {
        const d = g[i] + wd * w[i];
        sum[i] += d * d;
        w[i] -= (clr * d) / (Math.sqrt(sum[i]) + eps);
      }
    },
  };
}

function rmsprop(lr: number, alpha: number, eps: number, wd: number, mu: number, centered: boolean): Case {
  return {
    name: `rmsprop alpha=${alpha} wd=${wd} mu=${mu} centered=${centered}`, state: ['sq', 'buf', 'gavg'],
    run: (k, n, _t, w, g, [sq, buf, gavg]) => k.rmsprop_step_f32(n, lr, alpha, eps, wd, mu, centered ? 1 : 0, w, g, sq, buf, gavg),
    ref: (_t, w, g, [sq, buf, gavg]) => {
      for (let i = 0; i < w.length; i++) {
        const d = g[i] + wd * w[i];
        sq[i] = alpha * sq[i] + (1 - alpha) * d * d;
        let avg: number;
        if (centered) {
          gavg[i] += (1 - alpha) * (d - gavg[i]);
          avg = Math.sqrt(sq[i] - gavg[i] * gavg[i]) + eps;
        } else avg = Math.sqrt(sq[i]) + eps;
        if (mu > 0) {
          buf[i] = mu * buf[i] + d / avg;
          w[i] -= lr * buf[i];
        } else w[i] -= (lr * d) / avg;
      }
    },
  };
}

function adam(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean, amsgrad: boolean): Case {
  return {
    name: `adam wd=${wd} decoupled=${decoupled} amsgrad=${amsgrad}`, state: ['m', 'v', 'vmax'],
    run: (k, n, t, w, g, [m, v, vmax]) =>
      k.adam_step_f32(n, lr, b1, b2, eps, wd, decoupled ? 1 : 0, 1 - b1 ** t, 1 - b2 ** t, w, g, m, v, amsgrad ? vmax : { length: 0, data: new Float32Array(0) }),
    ref: (t, w, g, [m, v, vmax]) => {
      const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
      for (let i = 0; i < w.length; i++) {
        if (decoupled) w[i] *= 1 - lr * wd;
        const d = g[i] + (decoupled ? 0 : wd * w[i]);
        m[i] += (1 - b1) * (d - m[i]);
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        let vh = v[i];
        if (amsgrad) vh = vmax[i] = Math.max(vmax[i], v[i]);
        w[i] -= (lr / bc1) * m[i] / (Math.sqrt(vh) / Math.sqrt(bc2) + eps);
      }
    },
  };
}

const CASES: Case[] = [
  sgd(0.1, 0), sgd(0.05, 0.01),
  momentum(0.1, 0.9, 0, 0, false), momentum(0.1, 0.9, 0.5, 0.01, false), momentum(0.05, 0.9, 0, 0.001, true),
  adagrad(0.1, 0, 0, 1e-10, 0), adagrad(0.1, 0.01, 0.01, 1e-10, 0.1),
  rmsprop(0.01, 0.99, 1e-8, 0, 0, false), rmsprop(0.01, 0.9, 1e-6, 0.01, 0.9, true), rmsprop(0.01, 0.99, 1e-8, 0, 0.5, false),
  adam(1e-3, 0.9, 0.999, 1e-8, 0, false, false), adam(1e-2, 0.8, 0.99, 1e-8, 0.01, false, true),
  adam(1e-3, 0.9, 0.999, 1e-8, 0.01, true, false), adam(1e-2, 0.9, 0.999, 1e-6, 0.1, true, true),
];

describe.each(BACKENDS.map((b) => [b.name, b] as const))('optimizer steps on %s', (name, backend) => {
  for (const c of CASES)
    it(c.name, () => {
      for (const n of SIZES) {
        const r = rng(n + 3);
        const w0 = randn(r, n);
        const W = put(backend, w0), G = backend.alloc(n), S = c.state.map(() => backend.alloc(n));
        const w = Float64Array.from(w0), s = c.state.map(() => new Float64Array(n));
        for (let t = 1; t <= STEPS; t++) {
          const g = randn(r, n);
          G.data.set(g);
          c.run(backend.k, n, t, W, G, S);
          c.ref(t, w, g, s);
          const ctx = `${c.name} on ${name}, n=${n}, step ${t}`;
          expectClose(W.data, w, elementwise(2e-6, 2e-5), `${ctx}: w`);
          c.state.forEach((key, j) => expectClose(S[j].data, s[j], elementwise(2e-6, 2e-5), `${ctx}: ${key}`));
          expectClose(G.data, g, elementwise(0, 0), `${ctx}: g must not be written`);
        }
        for (const b of [W, G, ...S]) backend.free(b);
      }
    });
});

// A gradient that stays 0 (a dead ReLU unit's weights) decays a state value into the subnormals, where it would
// stick at the smallest one (0.9 · 2⁻¹⁴⁹ rounds back to 2⁻¹⁴⁹) and cost a microcode assist per operation: every
// backend stores decaying state with subnormals flushed to 0 (native/optim/optim.cc), and a subnormal that arrives
// (a loaded state) is flushed by the first step. Weight decay off or decoupled, so the gradient stays 0.
const DECAYING: [Case, string[]][] = [
  [momentum(0.1, 0.9, 0, 0, false), ['buf']], [momentum(0.1, 0.9, 0.5, 0, false), ['buf']], [momentum(0.05, 0.9, 0, 0, true), ['buf']],
  [rmsprop(0.01, 0.99, 1e-8, 0, 0, false), ['sq']], [rmsprop(0.01, 0.9, 1e-6, 0, 0.9, true), ['sq', 'buf', 'gavg']],
  [rmsprop(0.01, 0.99, 1e-8, 0, 0.5, false), ['sq', 'buf']],
  [adam(1e-3, 0.9, 0.999, 1e-8, 0, false, false), ['m', 'v']], [adam(1e-2, 0.8, 0.99, 1e-8, 0, false, true), ['m', 'v', 'vmax']],
  [adam(1e-3, 0.9, 0.999, 1e-8, 0.01, true, false), ['m', 'v']], [adam(1e-2, 0.9, 0.999, 1e-6, 0.1, true, true), ['m', 'v', 'vmax']],
];

describe.each(BACKENDS.map((b) => [b.name, b] as const))('decaying optimizer state on %s', (name, backend) => {
  const FLT_MIN = 2 ** -126;
  const start = [2 ** -149, -(2 ** -149), 2 ** -130, -(2 ** -127), FLT_MIN * 1.25, -FLT_MIN * 3, 1e-37, 0, 0.5, -0.25, 2 ** -140, 1e-36, 2 ** -149];
  const startedSubnormal = [0, 1, 2, 3, 10, 12];
  for (const [c, written] of DECAYING)
    it(`${c.name}: with a zero gradient, state leaves the subnormals and never holds one`, () => {
      const n = start.length;
      const W = put(backend, Float32Array.from({ length: n }, (_, i) => 0.1 * (i + 1))), G = backend.alloc(n);
      // Second moments (under a square root) start at |x|; first moments and momentum buffers at x.
      const S = c.state.map((key) => put(backend, Float32Array.from(start, (x) => (['v', 'vmax', 'sq'].includes(key) ? Math.abs(x) : x))));
      const subnormal = (x: number) => x !== 0 && Math.abs(x) < FLT_MIN;
      for (let t = 1; t <= 50; t++) {
        c.run(backend.k, n, t + 1, W, G, S); // t + 1: past the first step's special cases (dampening)
        S.forEach((s, j) => {
          if (!written.includes(c.state[j])) return;
          const bad = [...s.data].findIndex(subnormal);
          if (bad >= 0) throw new Error(`${c.name} on ${name}, step ${t}: ${c.state[j]}[${bad}] = ${s.data[bad]} is subnormal`);
          if (t === 1) for (const i of startedSubnormal) if (s.data[i] !== 0) throw new Error(`${c.name} on ${name}: ${c.state[j]}[${i}] = ${s.data[i]} after one step, expected 0`);
        });
        for (const x of W.data) if (!Number.isFinite(x)) throw new Error(`${c.name} on ${name}: a weight became ${x}`);
      }
      // 1e-36 and 1e-37 (normal at the start) decay through the subnormal range within 50 steps where a step
      // multiplies by 0.9 or less (momentum buffers and Adam's first moment): they must end at 0.
      S.forEach((s, j) => {
        if (['buf', 'm'].includes(c.state[j]) && written.includes(c.state[j]) && (s.data[6] !== 0 || s.data[11] !== 0))
          throw new Error(`${c.name} on ${name}: ${c.state[j]} = ${s.data[6]}, ${s.data[11]}; expected 0, 0`);
      });
    });
});
