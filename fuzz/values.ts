/**
 * Seeded hostile values for the fuzzers: each draw is a valid value most of the time (so calls get past their
 * checks and exercise the work behind them) and otherwise one of the shapes of wrongness that broke descent
 * before: NaN, ±Infinity, negatives, fractions, numeric strings, null, wrong typed arrays, wrong lengths.
 * Valid loop counts stay small, so a case never legitimately runs for long.
 */
import { Rng } from '../src/rng.js';

export class Draw {
  readonly r: Rng;
  constructor(seed: number) {
    this.r = new Rng(seed);
  }

  int(n: number): number {
    return this.r.int(n);
  }

  chance(p: number): boolean {
    return this.r.uniform() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.r.int(items.length)];
  }

  /** A junk value of any type. */
  junk(): unknown {
    return this.pick([NaN, Infinity, -Infinity, -1, 0, 1.5, -0, 2 ** 31, 2 ** 53 + 2, 1e300, '2', '', null, undefined, {}, [], true, () => 1, Symbol('x'), 10n, new Float64Array(2), new Int32Array(3)]);
  }

  /** A size: valid (1..max) with probability `p`, else junk or a huge count that must hit the allocation limit. */
  size(max: number, p = 0.8): unknown {
    if (this.chance(p)) return 1 + this.int(max);
    return this.chance(0.3) ? this.pick([2 ** 20, 2 ** 28, 2 ** 31 - 1]) : this.junk();
  }

  /** A small loop count (epochs, steps): valid and small with probability `p`, else junk (never huge and valid). */
  count(max: number, p = 0.8): unknown {
    if (this.chance(p)) return 1 + this.int(max);
    const v = this.junk();
    return typeof v === 'number' && Number.isInteger(v) && v > max ? -v : v;
  }

  /** A real number: a valid one from `valid` with probability `p`, else junk. */
  real(valid: readonly number[], p = 0.8): unknown {
    return this.chance(p) ? this.pick(valid) : this.junk();
  }

  bool(p = 0.85): unknown {
    return this.chance(p) ? this.chance(0.5) : this.pick([0, 1, 'true', null, NaN]);
  }

  /** Options: the valid object, sometimes with one key replaced by junk, misspelt, or the whole thing junk. */
  options(valid: Record<string, unknown>, p = 0.75): unknown {
    if (this.chance(p)) return valid;
    const keys = Object.keys(valid);
    const roll = this.int(4);
    if (roll === 0 || keys.length === 0) return this.pick([null, 5, 'x', [], undefined]);
    const key = this.pick(keys);
    if (roll === 1) return { ...valid, [`${key}x`]: valid[key] };
    return { ...valid, [key]: this.junk() };
  }

  /** Float32 values of length `n`, sometimes with NaN/Inf/huge entries, or the wrong type or length. */
  f32(n: number, p = 0.8): unknown {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.r.normal();
    if (this.chance(p)) return a;
    switch (this.int(6)) {
      case 0:
        return new Float64Array(a);
      case 1:
        return a.subarray(0, Math.max(0, n - 1 - this.int(2)));
      case 2: {
        const b = new Float32Array(n + 1 + this.int(3));
        b.set(a);
        return b;
      }
      case 3:
        if (n > 0) a[this.int(n)] = this.pick([NaN, Infinity, -Infinity]);
        return a;
      case 4:
        return Array.from(a);
      default:
        return this.junk();
    }
  }

  /** Int32 labels in [0, classes), sometimes out of range or of the wrong type or length. */
  labels(n: number, classes: number, p = 0.8): unknown {
    const a = Int32Array.from({ length: n }, () => this.int(classes));
    if (this.chance(p)) return a;
    switch (this.int(5)) {
      case 0:
        if (n > 0) a[this.int(n)] = this.pick([-1, classes, 2 ** 31 - 1, -(2 ** 31)]);
        return a;
      case 1:
        return new Float32Array(a);
      case 2:
        return a.subarray(0, Math.max(0, n - 1));
      case 3:
        return Uint8Array.from(a);
      default:
        return this.junk();
    }
  }
}
