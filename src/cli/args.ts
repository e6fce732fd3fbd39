/**
 * Small helpers shared by the CLI commands: node:util's parseArgs in strict mode (unknown flags are errors,
 * with a spelling suggestion), and number parsing that names the flag in its message.
 */
import { parseArgs } from 'node:util';
import { closest } from '../check.js';

export class UsageError extends Error {}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export function parseFlags(command: string, args: string[], spec: Record<string, FlagSpec>): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args, options: spec, strict: true, allowPositionals: true });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = (error as Error).message;
    const flag = /'(-{1,2}[^'\s]+)/.exec(message)?.[1];
    if (flag && /Unknown option/i.test(message)) {
      const close = closest(flag.replace(/^-+/, '').split('=')[0], Object.keys(spec));
      throw new UsageError(`unknown option '${flag}'${close ? `; did you mean '--${close}'?` : ''} (see 'descent ${command} --help')`);
    }
    throw new UsageError(message.split('\n')[0]);
  }
}

export function numberFlag(name: string, value: string | undefined, { min = -Infinity, integer = false, positive = false } = {}): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || (positive && v <= 0)) {
    const what = integer ? (positive ? 'a positive integer' : `an integer ≥ ${min}`) : positive ? 'a positive number' : min > -Infinity ? `a number ≥ ${min}` : 'a number';
    throw new UsageError(`--${name} expects ${what}, received '${value}'`);
  }
  return v;
}

export function choiceFlag<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    const close = closest(value, allowed);
    throw new UsageError(`--${name} expects one of ${allowed.join(', ')}, received '${value}'${close ? `; did you mean '${close}'?` : ''}`);
  }
  return value as T;
}

/** An aligned text table of a confusion matrix (rows: true class, columns: predicted). */
export function formatConfusion(matrix: Int32Array, classes: number, names?: string[]): string {
  const width = Math.max(5, ...Array.from(matrix, (v) => String(v).length + 1));
  const label = (i: number) => (names?.[i] ?? String(i)).slice(0, 12);
  const lw = Math.max(...Array.from({ length: classes }, (_, i) => label(i).length), 9);
  const head = `${'true\\pred'.padEnd(lw)} ${Array.from({ length: classes }, (_, j) => String(j).padStart(width)).join('')}`;
  const rows = Array.from({ length: classes }, (_, i) => {
    const cells = Array.from({ length: classes }, (_, j) => String(matrix[i * classes + j]).padStart(width)).join('');
    let total = 0;
    for (let j = 0; j < classes; j++) total += matrix[i * classes + j];
    const recall = total ? ((100 * matrix[i * classes + i]) / total).toFixed(1) : '-';
    return `${label(i).padEnd(lw)} ${cells}   ${recall}%`;
  });
  return [head, ...rows].join('\n');
}
