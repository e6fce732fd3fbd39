/**
 * `descent lab …`: the lecture's experiments on the command line. Each subcommand prints a terminal view and,
 * with `--out DIR`, writes SVG pictures there. Bad flags print what was wrong and exit with code 2.
 *   descent lab activations   activation functions and derivatives
 *   descent lab init          per-layer activation histograms of a deep MLP under an initialisation
 *   descent lab optimizers    optimizer trajectories over 2-D test surfaces
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closest } from '../check.js';
import { loadBackend } from '../backends/index.js';
import type { BackendName } from '../backends/types.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, type ActivationName, type ActivationParams } from '../nn/activation-table.js';
import { INIT_NAMES, kaimingNormal, smallRandom, type Initializer, type InitName } from '../nn/init.js';
import { activationAt, activationCurve } from '../lab/curves.js';
import { OPTIMIZER_NAMES, SURFACE_NAMES, SURFACES, trajectory, type OptimizerName, type SurfaceName } from '../lab/landscapes.js';
import { ACTIVATIONS, initProbe } from '../lab/probe.js';
import { activationCurvesSvg, initProbeSvg, trajectoriesSvg } from '../lab/svg.js';
import { curveTable, layerTable, trajectoryTable } from '../lab/terminal.js';

class UsageError extends Error {}

interface FlagSpec {
  /** Placeholder for the value (`N`, `LIST`), or null for a boolean flag. */
  value: string | null;
  help: string;
}

const COMMON: Record<string, FlagSpec> = {
  out: { value: 'DIR', help: 'write SVG pictures into DIR (created if missing)' },
  backend: { value: 'NAME', help: "backend: auto (default), native, wasm or js" },
  help: { value: null, help: 'show this help' },
};

/** One flag per activation parameter of the table (`--slope`, `--alpha`, `--beta`, `--threshold`). */
const PARAM_FLAGS: Record<string, FlagSpec> = Object.fromEntries(
  ACTIVATION_NAMES.flatMap((name) =>
    ACTIVATION_TABLE[name].params.map((p) => [p.name, { value: 'X', help: `${ACTIVATION_TABLE[name].torch} ${p.help} (default ${p.default})` }]),
  ),
);

/** The activation parameters given on the command line (each activation takes the ones it has). */
function paramFlags(f: Record<string, string | true>): ActivationParams {
  const out: ActivationParams = {};
  for (const name of Object.keys(PARAM_FLAGS)) if (f[name] !== undefined) out[name] = num(f, name, 0);
  return out;
}

interface Command {
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  run(flags: Record<string, string | true>): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  activations: {
    summary: 'activation functions and their derivatives, computed by the backward kernels',
    usage: `descent lab activations [--activations ${ACTIVATIONS.join(',')}] [--from -6] [--to 6] [--out DIR]`,
    flags: {
      activations: { value: 'LIST', help: `comma-separated, from ${ACTIVATIONS.join(', ')} (default: all)` },
      from: { value: 'X', help: 'left end of the plotted range (default -6)' },
      to: { value: 'X', help: 'right end (default 6)' },
      points: { value: 'N', help: 'sample points (default 241)' },
      ...PARAM_FLAGS,
    },
    async run(f) {
      const names = list(f, 'activations', ACTIVATIONS, [...ACTIVATIONS]) as ActivationName[];
      const from = num(f, 'from', -6), to = num(f, 'to', 6), n = int(f, 'points', 241, 2), params = paramFlags(f);
      if (!(to > from)) throw new UsageError(`--to (${to}) must be greater than --from (${from})`);
      const curves = names.map((name) => activationCurve(name, from, to, n, params));
      const at = [-10, -1, 0, 1, 10];
      console.log(curveTable(curves, at, (c, x) => activationAt(c.name, x, params)));
      console.log("\nDerivatives come from the backward kernels. σ′(0) = 0.25 (the lecture's slide says 1.xx: a slip, σ′ ≤ 1/4);");
      console.log('ReLU′(0) = 0 (PyTorch\'s convention); LeakyReLU′(x < 0) = slope.');
      write(f, 'activations.svg', () => activationCurvesSvg(curves, { title: 'Activation functions f (solid) and derivatives f′ (dashed)' }));
    },
  },
  init: {
    summary: 'per-layer activation statistics of a deep MLP under an initialisation (the lecture\'s histograms)',
    usage: 'descent lab init [--activation tanh] [--init xavier] [--depth 6] [--width 4096] [--batch 16] [--out DIR]',
    flags: {
      activation: { value: 'LIST', help: `activation(s), from ${ACTIVATIONS.join(', ')} (default tanh)` },
      init: { value: 'LIST', help: 'initialiser(s): xavier, kaiming, small:SCALE (e.g. small:0.01), or a Linear init name (default xavier)' },
      depth: { value: 'N', help: 'hidden layers (default 6)' },
      width: { value: 'N', help: 'units per layer (default 4096)' },
      batch: { value: 'N', help: 'rows of N(0, 1) input (default 16)' },
      seed: { value: 'N', help: 'seed of inputs and weights (default 0)' },
      bins: { value: 'N', help: 'histogram bins (default 40)' },
      ...PARAM_FLAGS,
    },
    async run(f) {
      const activations = list(f, 'activation', ACTIVATIONS, ['tanh']) as ActivationName[];
      const inits = (typeof f.init === 'string' ? f.init : 'xavier').split(',').map((s) => s.trim()).filter(Boolean);
      if (inits.length === 0) throw new UsageError('--init needs at least one initialiser');
      const parsed = inits.map((s) => [s, parseInit(s)] as const);
      const depth = int(f, 'depth', 6, 1, 1000), width = int(f, 'width', 4096, 1, 65536), batch = int(f, 'batch', 16, 1, 1 << 20);
      const seed = int(f, 'seed', 0, 0), bins = int(f, 'bins', 40, 2, 1000);
      for (const activation of activations) {
        for (const [text, init] of parsed) {
          const r = initProbe({ depth, width, batch, activation, init, seed, bins, ...paramFlags(f) });
          console.log(`\n${activation}, init ${r.config.init}: ${depth} × Linear(${width}, ${width}, bias=False), batch ${batch} of N(0, 1), backend ${r.config.backend}`);
          console.log(layerTable(r.layers, { names: r.layers.map((_, i) => `layer ${i + 1}`) }));
          write(f, `init-${activation}-${text.replace(/[^a-zA-Z0-9.]+/g, '')}.svg`, () => initProbeSvg(r));
        }
      }
    },
  },
  optimizers: {
    summary: 'optimizer trajectories over 2-D test surfaces, driven through the real optimizer classes',
    usage: 'descent lab optimizers [--surface saddle] [--optimizers sgd,momentum,rmsprop,adam] [--steps N] [--out DIR]',
    flags: {
      surface: { value: 'LIST', help: `surface(s), from ${SURFACE_NAMES.join(', ')}, or all (default saddle)` },
      optimizers: { value: 'LIST', help: `from ${OPTIMIZER_NAMES.join(', ')} (default sgd,momentum,rmsprop,adam)` },
      steps: { value: 'N', help: "optimizer steps (default: the surface's)" },
      lr: { value: 'LR', help: "one learning rate for every optimizer (default: each optimizer's rate for the surface)" },
      start: { value: 'X,Y', help: "start point (default: the surface's)" },
    },
    async run(f) {
      const surfaces = f.surface === 'all' ? [...SURFACE_NAMES] : (list(f, 'surface', SURFACE_NAMES, ['saddle']) as SurfaceName[]);
      const optimizers = list(f, 'optimizers', OPTIMIZER_NAMES, ['sgd', 'momentum', 'rmsprop', 'adam']) as OptimizerName[];
      const steps = f.steps === undefined ? undefined : int(f, 'steps', 0, 1, 1_000_000);
      const lr = f.lr === undefined ? undefined : num(f, 'lr', 0, 0);
      if (lr === 0) throw new UsageError('--lr must be greater than 0');
      let start: [number, number] | undefined;
      if (f.start !== undefined) {
        const parts = String(f.start).split(',').map(Number);
        if (parts.length !== 2 || !parts.every(Number.isFinite)) throw new UsageError(`--start expects X,Y (two numbers), received '${f.start}'`);
        start = [parts[0], parts[1]];
      }
      for (const name of surfaces) {
        const surface = SURFACES[name];
        const runs = optimizers.map((o) => trajectory(surface, o, { steps, lr, start }));
        console.log(`\n${surface.title}, from (${(start ?? surface.start).join(', ')})`);
        console.log(trajectoryTable(surface, runs));
        write(f, `optimizers-${name}.svg`, () => trajectoriesSvg(surface, runs));
      }
    },
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  descent lab ${name.padEnd(12)} ${c.summary}`);
  return `usage: descent lab <experiment> [options]\n\nexperiments:\n${lines.join('\n')}\n\nRun 'descent lab <experiment> --help' for its options; every experiment takes --out DIR and --backend NAME.`;
}

function commandHelp(name: string, c: Command): string {
  const flags = { ...c.flags, ...COMMON };
  const rows = Object.entries(flags).map(([k, s]) => `  --${(k + (s.value ? ` ${s.value}` : '')).padEnd(20)} ${s.help}`);
  return `${c.summary}\n\nusage: ${c.usage}\n\noptions:\n${rows.join('\n')}`.replace(/^/, `descent lab ${name}: `);
}

/** `--name value`, `--name=value` and boolean `--name`; unknown flags are errors with a suggestion. */
function parseFlags(args: string[], known: Record<string, FlagSpec>): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}' (options start with --)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = known[name];
    if (!spec) {
      const guess = closest(name, Object.keys(known));
      throw new UsageError(`unknown option '--${name}'${guess ? `; did you mean '--${guess}'?` : ''}`);
    }
    if (name in out) throw new UsageError(`option '--${name}' given twice`);
    if (spec.value === null) {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      out[name] = true;
    } else if (eq >= 0) {
      out[name] = arg.slice(eq + 1);
    } else {
      const v = args[i + 1];
      if (v === undefined || (v.startsWith('--') && !/^--?\d/.test(v))) throw new UsageError(`option '--${name}' needs a value (${spec.value})`);
      out[name] = v;
      i++;
    }
  }
  return out;
}

function num(f: Record<string, string | true>, name: string, fallback: number, min = -Infinity): number {
  const v = f[name];
  if (v === undefined) return fallback;
  const x = Number(v);
  if (v === true || v.trim() === '' || !Number.isFinite(x)) throw new UsageError(`--${name} expects a number, received '${v}'`);
  if (x < min) throw new UsageError(`--${name} must be ≥ ${min}, received ${x}`);
  return x;
}

function int(f: Record<string, string | true>, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = f[name];
  if (v === undefined) return fallback;
  const x = Number(v);
  if (v === true || !Number.isInteger(x) || x < min || x > max) {
    throw new UsageError(`--${name} expects an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`}, received '${v}'`);
  }
  return x;
}

function list<T extends string>(f: Record<string, string | true>, name: string, allowed: readonly T[], fallback: T[]): T[] {
  const v = f[name];
  if (v === undefined) return fallback;
  const items = String(v).split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${name} needs at least one of ${allowed.join(', ')}`);
  for (const item of items) {
    if (!allowed.includes(item as T)) {
      const guess = closest(item, [...allowed]);
      throw new UsageError(`--${name}: unknown '${item}'${guess ? `; did you mean '${guess}'?` : ''} (choose from ${allowed.join(', ')})`);
    }
  }
  return items as T[];
}

/** `xavier`, `kaiming` (Kaiming normal for ReLU), `small` / `small:0.05`, or any name `Linear` takes. */
function parseInit(text: string): InitName | Initializer {
  if (text === 'kaiming') return kaimingNormal({ nonlinearity: 'relu' });
  const small = /^small(?:Random)?(?::(.+))?$/.exec(text);
  if (small) {
    const scale = small[1] === undefined ? 0.01 : Number(small[1]);
    if (!Number.isFinite(scale) || scale < 0) throw new UsageError(`--init ${text}: the scale must be a number ≥ 0`);
    return smallRandom(scale);
  }
  if ((INIT_NAMES as readonly string[]).includes(text)) return text as InitName;
  const guess = closest(text, ['xavier', 'kaiming', 'small:0.01', ...INIT_NAMES]);
  throw new UsageError(`--init: unknown initialiser '${text}'${guess ? `; did you mean '${guess}'?` : ''} (choose from xavier, kaiming, small:SCALE, ${INIT_NAMES.join(', ')})`);
}

function write(f: Record<string, string | true>, file: string, svg: () => string): void {
  if (typeof f.out !== 'string') return;
  mkdirSync(f.out, { recursive: true });
  const path = join(f.out, file);
  writeFileSync(path, svg());
  console.log(`wrote ${path}`);
}

export async function run(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const guess = closest(name, Object.keys(COMMANDS));
    console.error(`descent lab: unknown experiment '${name}'${guess ? `; did you mean '${guess}'?` : ''}\n\n${usage()}`);
    return 2;
  }
  try {
    const flags = parseFlags(rest.map((a) => (a === '-h' ? '--help' : a)), { ...command.flags, ...COMMON });
    if (flags.help) {
      console.log(commandHelp(name, command));
      return 0;
    }
    if (flags.out === '') throw new UsageError('--out needs a directory');
    const backend = flags.backend === undefined ? 'auto' : String(flags.backend);
    if (!['auto', 'native', 'wasm', 'js'].includes(backend)) throw new UsageError(`--backend: expected auto, native, wasm or js, received '${backend}'`);
    await loadBackend(backend as BackendName | 'auto');
    await command.run(flags);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`descent lab ${name}: ${error.message}\nRun 'descent lab ${name} --help' for the options.`);
      return 2;
    }
    const e = error as Error & { code?: string };
    if (e.code) {
      // Library checks (ERR_OPTION, ERR_BACKEND, …) are the user's input too: one line, no stack.
      console.error(`descent lab ${name}: ${e.message}`);
      return 2;
    }
    throw error;
  }
}
