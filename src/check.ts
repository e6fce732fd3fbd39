/**
 * Argument checks for the TypeScript boundary (CONTRIBUTING.md §3). Every public call checks dtype, lengths and
 * options here, once, before any kernel runs.
 */
import { dtypeError, optionError, shapeError, unknownOptionError } from './errors.js';

export function checkF32(call: string, arg: string, value: unknown): Float32Array {
  if (!(value instanceof Float32Array)) throw dtypeError(call, arg, 'a Float32Array', value);
  return value;
}

export function checkI32(call: string, arg: string, value: unknown): Int32Array {
  if (!(value instanceof Int32Array)) throw dtypeError(call, arg, 'an Int32Array', value);
  return value;
}

/** A batch size from an explicit argument or from the array length; rejects zero and non-multiples. */
export function batchOf(call: string, arg: string, x: Float32Array, features: number, batch?: number): number {
  if (batch !== undefined) {
    if (!Number.isInteger(batch) || batch < 1) throw optionError(call, 'batch', 'a positive integer', batch);
    if (x.length !== batch * features) throw shapeError(call, arg, `[${batch}, ${features}]`, `length ${x.length}`);
    return batch;
  }
  if (x.length === 0) throw shapeError(call, arg, `[batch ≥ 1, ${features}]`, 'length 0 (empty batch)');
  if (features === 0 || x.length % features !== 0) throw shapeError(call, arg, `[*, ${features}]`, `length ${x.length}`);
  return x.length / features;
}

export function checkInt(call: string, arg: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw optionError(call, arg, `an integer ${range}`, value);
  }
  return value;
}

/** A finite number within [min, max] (inclusive unless `open` says otherwise). */
export function checkNumber(call: string, arg: string, value: unknown, min = -Infinity, max = Infinity, open: { min?: boolean; max?: boolean } = {}): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) &&
    (open.min ? value > min : value >= min) && (open.max ? value < max : value <= max);
  if (!ok) {
    const lo = min === -Infinity ? '' : `${open.min ? '>' : '≥'} ${min}`;
    const hi = max === Infinity ? '' : `${open.max ? '<' : '≤'} ${max}`;
    const range = lo && hi ? ` in ${open.min ? '(' : '['}${min}, ${max}${open.max ? ')' : ']'}` : lo || hi ? ` ${lo || hi}` : '';
    throw optionError(call, arg, `a finite number${range}`, value);
  }
  return value as number;
}

export function checkBool(call: string, arg: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw optionError(call, arg, 'a boolean', value);
  return value;
}

export function checkOneOf<T extends string>(call: string, arg: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw optionError(call, arg, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value, suggestion(String(value), allowed));
  }
  return value as T;
}

/** Rejects option names that are not known, suggesting the closest known one. */
export function checkOptions(call: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw optionError(call, 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const list = known.length ? ` (known options: ${known.join(', ')})` : ' (it takes no options)';
      throw unknownOptionError(call, key, `${suggestion(key, known)}${list}`);
    }
  }
  return options as Record<string, unknown>;
}

/** The known word closest to `word` (case-insensitive edit distance), or null when none is close enough. */
export function closest(word: string, known: readonly string[]): string | null {
  let best: string | null = null, bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

/** `; did you mean 'x'?` for the closest known word, or an empty string when nothing is close. */
export function suggestion(word: string, known: readonly string[]): string {
  const best = closest(word, known);
  return best ? `; did you mean '${best}'?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
