/**
 * The one flag parser of every `descent` command. A command declares its flags once (type, placeholder, help,
 * default, range or choices, group); the same table parses the arguments into typed values, generates the help
 * text, suggests the closest known flag for a misspelt one, and names the flag in every error.
 */
import { closest } from '../check.js';

/** A mistake in the command line: printed as one line, exit code 2. */
export class UsageError extends Error {}

interface FlagBase {
  help: string;
  /** One-letter alias (`-e`). */
  short?: string;
  /** Heading of the help section that lists the flag (flags without one go under "options"). */
  group?: string;
}

export type FlagDef =
  | (FlagBase & { type: 'boolean' })
  | (FlagBase & { type: 'string'; value: string; default?: string })
  | (FlagBase & { type: 'number'; value: string; default?: number; integer?: boolean; min?: number; max?: number; positive?: boolean; below?: number })
  | (FlagBase & { type: 'choice'; value?: string; choices: readonly string[]; default?: string })
  | (FlagBase & { type: 'list'; value?: string; choices?: readonly string[]; default?: readonly string[] });

export type Flags = Record<string, FlagDef>;

type ValueOf<F> = F extends { type: 'boolean' }
  ? boolean
  : F extends { type: 'number' }
    ? number
    : F extends { type: 'choice'; choices: readonly (infer C)[] }
      ? C
      : F extends { type: 'list'; choices: readonly (infer C)[] }
        ? C[]
        : F extends { type: 'list' }
          ? string[]
          : string;

/** Typed values: a flag with a default (and every boolean, `help` included) always has a value; others may be undefined. */
export type Values<D extends Flags> = {
  -readonly [K in keyof D]: D[K] extends { type: 'boolean' } | { default: unknown } ? ValueOf<D[K]> : ValueOf<D[K]> | undefined;
} & { help: boolean };

export interface Parsed<D extends Flags> {
  values: Values<D>;
  /** The flags the command line named (defaults are not "given"). */
  given: ReadonlySet<keyof D & string>;
}

const HELP: FlagDef = { type: 'boolean', short: 'h', help: 'this help' };

/** `--name`, `-n`, with `--name value`, `--name=value`; `-h`/`--help` is always known. */
export function parseFlags<D extends Flags>(command: string, args: readonly string[], defs: D): Parsed<D> {
  const all: Flags = { ...defs, help: defs.help ?? HELP };
  const shorts = new Map(Object.entries(all).filter(([, d]) => d.short).map(([name, d]) => [d.short!, name]));
  const raw = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let name: string, inline: string | undefined;
    if (/^--[^-]/.test(arg)) {
      const eq = arg.indexOf('=');
      name = arg.slice(2, eq < 0 ? undefined : eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (/^-[^-\d]$/.test(arg)) {
      const long = shorts.get(arg[1]);
      if (!long) throw new UsageError(`unknown option '${arg}' (see 'descent ${command} --help')`);
      name = long;
    } else throw new UsageError(`unexpected argument '${arg}' (options start with --; see 'descent ${command} --help')`);
    const def = all[name];
    if (!def) {
      const guess = closest(name, Object.keys(all));
      throw new UsageError(`unknown option '--${name}'${guess ? `; did you mean '--${guess}'?` : ''} (see 'descent ${command} --help')`);
    }
    if (raw.has(name)) throw new UsageError(`--${name} is given twice`);
    if (def.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value, received '${inline}'`);
      raw.set(name, true);
      continue;
    }
    if (inline === undefined) {
      const next = args[i + 1];
      // A value may be negative (`--from -6`) but is never another flag.
      if (next === undefined || (next.startsWith('-') && !Number.isFinite(Number(next)))) throw new UsageError(`--${name} needs a value (${placeholder(def)})`);
      inline = next;
      i++;
    }
    raw.set(name, inline);
  }
  const values: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(all)) {
    const r = raw.get(name);
    values[name] = r === undefined ? (def.type === 'boolean' ? false : def.default) : convert(name, def, r);
  }
  return { values: values as Values<D>, given: new Set(raw.keys()) as ReadonlySet<keyof D & string> };
}

function convert(name: string, def: FlagDef, raw: string | true): unknown {
  if (raw === true || def.type === 'boolean') return true;
  switch (def.type) {
    case 'string':
      if (raw === '') throw new UsageError(`--${name} needs a value (${def.value})`);
      return raw;
    case 'number':
      return numberValue(name, def, raw);
    case 'choice':
      return choiceValue(name, raw, def.choices);
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) throw new UsageError(`--${name} needs at least one item${def.choices ? ` of ${def.choices.join(', ')}` : ''}`);
      if (def.choices) for (const item of items) choiceValue(name, item, def.choices);
      return items;
    }
  }
}

function numberValue(name: string, def: Extract<FlagDef, { type: 'number' }>, raw: string): number {
  const v = Number(raw);
  const { integer = false, positive = false, min = -Infinity, max = Infinity, below = Infinity } = def;
  const ok = raw.trim() !== '' && Number.isFinite(v) && (!integer || Number.isInteger(v)) && (!positive || v > 0) && v >= min && v <= max && v < below;
  if (!ok) throw new UsageError(`--${name} expects ${describeNumber(def)}, received '${raw}'`);
  return v;
}

/** `a positive integer`, `a number in [0, 1)`, `an integer in [1, 256]`, `a number ≥ 0`. */
function describeNumber(def: Extract<FlagDef, { type: 'number' }>): string {
  const kind = def.integer ? 'integer' : 'number';
  const article = def.integer ? 'an' : 'a';
  const lo = def.positive ? undefined : def.min;
  const hi = def.below ?? def.max;
  if (lo !== undefined && hi !== undefined) return `${article} ${kind} in [${lo}, ${hi}${def.below !== undefined ? ')' : ']'}`;
  if (def.positive) return `a positive ${kind}${hi !== undefined ? ` ${def.below !== undefined ? '<' : '≤'} ${hi}` : ''}`;
  if (lo !== undefined) return `${article} ${kind} ≥ ${lo}`;
  if (hi !== undefined) return `${article} ${kind} ${def.below !== undefined ? '<' : '≤'} ${hi}`;
  return `${article} ${kind}`;
}

function choiceValue(name: string, raw: string, allowed: readonly string[]): string {
  if (allowed.includes(raw)) return raw;
  const guess = closest(raw, allowed);
  throw new UsageError(`--${name} expects one of ${allowed.join(', ')}, received '${raw}'${guess ? `; did you mean '${guess}'?` : ''}`);
}

function placeholder(def: FlagDef): string {
  if (def.type === 'boolean') return '';
  if (def.type === 'choice') return def.value ?? 'NAME';
  if (def.type === 'list') return def.value ?? 'LIST';
  return def.value;
}

export interface HelpPage {
  /** The command's usage line(s), after `usage: `. */
  usage: string;
  summary: string;
  flags: Flags;
  /** Lines after the flags (examples, notes), printed as they are. */
  footer?: string;
}

/** The help text, generated from the same definitions `parseFlags` reads. */
export function helpText({ usage, summary, flags, footer }: HelpPage): string {
  const all: Flags = { ...flags, help: flags.help ?? HELP };
  const groups = new Map<string, string[]>();
  for (const [name, def] of Object.entries(all)) {
    const head = `${def.short ? `-${def.short}, ` : ''}--${name}${def.type === 'boolean' ? '' : ` ${placeholder(def)}`}`;
    const group = def.group ?? 'options';
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(`  ${head.padEnd(24)}${head.length >= 24 ? ' ' : ''}${describe(def)}`);
  }
  const sections = [...groups].map(([title, lines]) => `${title}\n${lines.join('\n')}`);
  return [`usage: ${usage}`, summary, ...sections, ...(footer ? [footer] : [])].join('\n\n');
}

function describe(def: FlagDef): string {
  const notes: string[] = [];
  if (def.type === 'choice' || (def.type === 'list' && def.choices)) notes.push(def.choices!.join(' | '));
  if (def.type !== 'boolean' && def.default !== undefined) notes.push(`default ${Array.isArray(def.default) ? def.default.join(',') : def.default}`);
  return notes.length ? `${def.help} (${notes.join('; ')})` : def.help;
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
