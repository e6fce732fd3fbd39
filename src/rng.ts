/**
 * Seeded random numbers: xoshiro128** (32-bit state words, exact in JavaScript integer arithmetic) seeded by
 * splitmix32. Normals use the Box–Muller transform in float64 (exact draws, not truncated); the second value of
 * each pair is kept, and it is part of the saved state so a resumed run draws exactly what it would have.
 */
import { stateError } from './errors.js';
/** A generator's complete state (`rng.getState()`), saved in checkpoints and restored with `rng.setState()`. */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * A seeded generator (xoshiro128**): uniform and normal draws that repeat exactly for a seed, with a state
 * that checkpoints save. `manualSeed(n)` reseeds the global one that layers and `fit` use by default.
 * @example
 * const r = new Rng(42);
 * const u = r.uniform(), z = r.normal();   // the same two numbers on every run
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** @example const r = new Rng(42); r.normal(); */
  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the sequence from `seed` (as a new `Rng(seed)` would). */
  seed(seed: number): void {
    const next = splitmix32(Math.floor(seed) ^ Math.floor(seed / 2 ** 32));
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 = s2 ^ s0;
    this.s3 = s3 ^ s1;
    this.s1 = s1 ^ this.s2;
    this.s0 = s0 ^ this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float64 in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5, lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform float64 in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** A standard normal draw. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u)), theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** The full state, for checkpoints: restoring it replays the same draws. */
  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /** Restores a state from `getState()`. */
  setState(state: RngState): void {
    const s = (state as { s?: unknown } | null)?.s;
    const spare = (state as { spare?: unknown } | null)?.spare;
    // xoshiro128** never leaves the all-zero state once in it: every draw would be 0.
    if (!Array.isArray(s) || s.length !== 4 || !s.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v <= 0xffffffff) || s.every((v) => v === 0)) {
      throw stateError('Rng.setState', 'expected { s: four 32-bit integer words, not all zero, spare }');
    }
    if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare))) throw stateError('Rng.setState', 'expected spare to be null or a finite number');
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((v) => v >>> 0) as RngState['s'];
    this.spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The library's default generator (like `torch.manual_seed`): initialisers and shuffles draw from it unless given their own. */
export const globalRng = new Rng(0);

/** Seeds the default generator. @example manualSeed(42); const model = new Sequential([...]); */
export function manualSeed(seed: number): void {
  globalRng.seed(seed);
}
