/**
 * `descent lab …`: the lecture's experiments on the command line. Each subcommand prints a terminal view and,
 * with `--out DIR`, writes SVG pictures there. Bad flags print what was wrong and exit with code 2.
 *   descent lab activations   activation functions and derivatives
 *   descent lab init          per-layer activation histograms of a deep MLP under an initialisation
 *   descent lab optimizers    optimizer trajectories over 2-D test surfaces
 *   descent lab conv-init     the conv fan-in rule through a deep Conv-ReLU stack
 *   descent lab filters       a trained model's convolution filters as heatmaps
 *   descent lab serve         the lab as a live web page (dist/lab-web/) on 127.0.0.1
 */
import { closest } from '../check.js';
import { ACTIVATION_NAMES, ACTIVATION_TABLE, type ActivationName, type ActivationParams } from '../nn/activation-table.js';
import { fs, packageRoot, path } from '../node.js';
import { serveDirectory } from './lab-serve.js';
import { INIT_NAMES, kaimingNormal, smallRandom, type Initializer, type InitName } from '../nn/init.js';
import { activationAt, activationCurve } from '../lab/curves.js';
import { OPTIMIZER_NAMES, SURFACE_NAMES, SURFACES, trajectory, type SurfaceName } from '../lab/landscapes.js';
import { ACTIVATIONS, initProbe } from '../lab/probe.js';
import { activationCurvesSvg, histogramPanelsSvg, initProbeSvg, trajectoriesSvg } from '../lab/svg.js';
import { convInitProbe, type ConvFanIn } from '../lab/conv-probe.js';
import { filtersSvg } from '../lab/filters.js';
import { loadCheckpoint } from '../checkpoint.js';
import { curveTable, layerTable, trajectoryTable } from '../lab/terminal.js';
import { helpText, parseFlags, UsageError, type Flags, type Values } from './args.js';
import { loadRuntime, RUNTIME_FLAGS } from './runtime.js';

const COMMON = {
  out: { type: 'string', value: 'DIR', help: 'write SVG pictures into DIR (created if missing)' },
  ...RUNTIME_FLAGS,
} as const satisfies Flags;

/** One flag per activation parameter of the table (`--slope`, `--alpha`, `--beta`, `--threshold`). */
const PARAM_FLAGS: Flags = Object.fromEntries(
  ACTIVATION_NAMES.flatMap((name) =>
    ACTIVATION_TABLE[name].params.map((p) => [p.name, { type: 'number', value: 'X', help: `${ACTIVATION_TABLE[name].torch} ${p.help} (default ${p.default})` } as const]),
  ),
);

/** The activation parameters given on the command line (each activation takes the ones it has). */
function paramFlags(f: Record<string, unknown>): ActivationParams {
  const out: ActivationParams = {};
  for (const name of Object.keys(PARAM_FLAGS)) if (typeof f[name] === 'number') out[name] = f[name];
  return out;
}

interface Command {
  summary: string;
  usage: string;
  flags: Flags;
  /** False for commands that compute nothing here (no backend to load). */
  runtime?: boolean;
  run(values: Values<typeof COMMON>): Promise<void>;
}

const SERVE_FLAGS = {
  port: { type: 'number', value: 'N', integer: true, min: 0, max: 65535, default: 8080, help: 'port on 127.0.0.1 (0: any free port)' },
} as const satisfies Flags;

/** `descent lab serve`: the static page, served until the process is stopped. */
const SERVE: Command = {
  summary: 'the lab as a live web page on 127.0.0.1 (activations, init, optimizers, live training; wasm in the browser)',
  usage: 'descent lab serve [--port 8080]',
  flags: SERVE_FLAGS,
  runtime: false,
  async run(values) {
    const { port } = values as unknown as Values<typeof SERVE_FLAGS>;
    const root = path().join(packageRoot(), 'dist', 'lab-web');
    if (!fs().existsSync(path().join(root, 'index.html'))) throw new UsageError(`the lab page is not built (${root} has no index.html): run \`npm run build:lab-web\``);
    let server;
    try {
      server = await serveDirectory(root, port);
    } catch (error) {
      const e = error as Error & { code?: string };
      if (e.code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use: choose another with --port N (0 picks a free one)`);
      throw error;
    }
    console.log(`descent lab: serving the lab page at ${server.url} (Ctrl-C stops it)`);
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};

/** An experiment whose `run` receives its flags parsed and typed by the shared parser. */
function experiment<D extends Flags>(c: { summary: string; usage: string; flags: D; run(v: Values<D & typeof COMMON>): Promise<void> }): Command {
  const flags = { ...c.flags, ...COMMON } as D & typeof COMMON;
  // The values come from parseFlags over these same flags, so they have this experiment's types.
  return { summary: c.summary, usage: c.usage, flags, run: (values) => c.run(values as Values<D & typeof COMMON>) };
}

const COMMANDS: Record<string, Command> = {
  activations: experiment({
    summary: 'activation functions and their derivatives, computed by the backward kernels',
    usage: `descent lab activations [--activations ${ACTIVATIONS.join(',')}] [--from -6] [--to 6] [--out DIR]`,
    flags: {
      activations: { type: 'list', choices: ACTIVATIONS, default: ACTIVATIONS, help: 'activations to plot' },
      from: { type: 'number', value: 'X', default: -6, help: 'left end of the plotted range' },
      to: { type: 'number', value: 'X', default: 6, help: 'right end' },
      points: { type: 'number', value: 'N', integer: true, min: 2, default: 241, help: 'sample points' },
      ...PARAM_FLAGS,
    },
    async run(f) {
      if (!(f.to > f.from)) throw new UsageError(`--to (${f.to}) must be greater than --from (${f.from})`);
      const params = paramFlags(f);
      const curves = f.activations.map((name) => activationCurve(name as ActivationName, f.from, f.to, f.points, params));
      const at = [-10, -1, 0, 1, 10];
      console.log(curveTable(curves, at, (c, x) => activationAt(c.name, x, params)));
      console.log("\nDerivatives come from the backward kernels. σ′(0) = 0.25 (the lecture's slide says 1.xx: a slip, σ′ ≤ 1/4);");
      console.log('ReLU′(0) = 0 (PyTorch\'s convention); LeakyReLU′(x < 0) = slope.');
      write(f.out, 'activations.svg', () => activationCurvesSvg(curves, { title: 'Activation functions f (solid) and derivatives f′ (dashed)' }));
    },
  }),
  init: experiment({
    summary: "per-layer activation statistics of a deep MLP under an initialisation (the lecture's histograms)",
    usage: 'descent lab init [--activation tanh] [--init xavier] [--depth 6] [--width 4096] [--batch 16] [--out DIR]',
    flags: {
      activation: { type: 'list', choices: ACTIVATIONS, default: ['tanh'], help: 'activation(s)' },
      init: { type: 'list', default: ['xavier'], help: 'initialiser(s): xavier, kaiming, small:SCALE (e.g. small:0.01), or a Linear init name' },
      depth: { type: 'number', value: 'N', integer: true, min: 1, max: 1000, default: 6, help: 'hidden layers' },
      width: { type: 'number', value: 'N', integer: true, min: 1, max: 65536, default: 4096, help: 'units per layer' },
      batch: { type: 'number', value: 'N', integer: true, min: 1, max: 1 << 20, default: 16, help: 'rows of N(0, 1) input' },
      seed: { type: 'number', value: 'N', integer: true, min: 0, default: 0, help: 'seed of inputs and weights' },
      bins: { type: 'number', value: 'N', integer: true, min: 2, max: 1000, default: 40, help: 'histogram bins' },
      ...PARAM_FLAGS,
    },
    async run(f) {
      const parsed = f.init.map((s) => [s, parseInit(s)] as const);
      const { depth, width, batch, seed, bins } = f;
      for (const activation of f.activation as ActivationName[]) {
        for (const [text, init] of parsed) {
          const r = initProbe({ depth, width, batch, activation, init, seed, bins, ...paramFlags(f) });
          console.log(`\n${activation}, init ${r.config.init}: ${depth} × Linear(${width}, ${width}, bias=False), batch ${batch} of N(0, 1), backend ${r.config.backend}`);
          console.log(layerTable(r.layers, { names: r.layers.map((_, i) => `layer ${i + 1}`) }));
          write(f.out, `init-${activation}-${text.replace(/[^a-zA-Z0-9.]+/g, '')}.svg`, () => initProbeSvg(r));
        }
      }
    },
  }),
  'conv-init': experiment({
    summary: "the conv init rule: per-channel statistics through a deep Conv-ReLU stack, fanIn = k²·C_in against C_in alone",
    usage: 'descent lab conv-init [--fan-in conv,channels] [--depth 10] [--channels 16] [--kernel-size 3] [--size 16] [--out DIR]',
    flags: {
      'fan-in': { type: 'list', choices: ['conv', 'channels'], default: ['conv', 'channels'], help: 'the fan-in Kaiming is told: conv = k²·C_in (the rule), channels = C_in alone' },
      activation: { type: 'list', choices: ACTIVATIONS, default: ['relu'], help: 'activation after every convolution' },
      depth: { type: 'number', value: 'N', integer: true, min: 1, max: 200, default: 10, help: 'conv + activation layers' },
      channels: { type: 'number', value: 'N', integer: true, min: 1, max: 1024, default: 16, help: 'channels in and out of every layer' },
      'kernel-size': { type: 'number', value: 'K', integer: true, min: 1, max: 31, default: 3, help: 'odd kernel size' },
      size: { type: 'number', value: 'N', integer: true, min: 1, max: 512, default: 16, help: 'image height and width' },
      batch: { type: 'number', value: 'N', integer: true, min: 1, max: 4096, default: 8, help: 'images of N(0, 1) values' },
      seed: { type: 'number', value: 'N', integer: true, min: 0, default: 0, help: 'seed of inputs and weights' },
    },
    async run(f) {
      for (const activation of f.activation as ActivationName[]) {
        for (const fanIn of f['fan-in'] as ConvFanIn[]) {
          const r = convInitProbe({ depth: f.depth, channels: f.channels, kernelSize: f['kernel-size'], size: f.size, batch: f.batch, activation, fanIn, seed: f.seed });
          const c = r.config;
          console.log(`
${activation}, ${c.init} told fanIn = ${c.fanInValue} (${fanIn === 'conv' ? 'k²·C_in' : 'C_in alone'}): ${c.depth} × Conv2d(${c.channels}, ${c.channels}, ${c.kernelSize}×${c.kernelSize}, 'same'), ${c.batch} images ${c.size}×${c.size}, backend ${c.backend}`);
          console.log(layerTable(r.layers, { names: r.layers.map((_, i) => `layer ${i + 1}`) }));
          write(f.out, `conv-init-${activation}-${fanIn}.svg`, () => histogramPanelsSvg(r.layers, { title: `${activation} after Conv2d(${c.channels}, ${c.channels}, ${c.kernelSize}×${c.kernelSize}) × ${c.depth}, Kaiming with fanIn = ${c.fanInValue} (${fanIn === 'conv' ? 'k²·C_in' : 'C_in'})` }));
        }
      }
    },
  }),
  filters: experiment({
    summary: "a trained model's convolution filters as a grid of heatmaps (from a checkpoint of 'descent train')",
    usage: 'descent lab filters --model run.ckpt [--layer N] [--out DIR]',
    flags: {
      model: { type: 'string', value: 'PATH', help: "checkpoint written by 'descent train --save'" },
      layer: { type: 'number', value: 'N', integer: true, min: 0, help: 'index of the Conv2d layer in the model (default: the first convolution)' },
    },
    async run(f) {
      if (f.model === undefined) throw new UsageError('--model PATH is required');
      const sd = loadCheckpoint(f.model).model;
      const convs = Object.entries(sd).filter(([name, t]) => name.endsWith('.weight') && t.shape.length === 4);
      if (convs.length === 0) throw new UsageError(`${f.model} holds no convolution weights (4-D [out, in, kh, kw] tensors)`);
      const chosen = f.layer === undefined ? convs[0] : convs.find(([name]) => name === `${f.layer}.weight`);
      if (!chosen) throw new UsageError(`--layer ${f.layer} is not a convolution; the model's are ${convs.map(([n]) => n.split('.')[0]).join(', ')}`);
      const [name, weight] = chosen;
      const [out, inC, kh, kw] = weight.shape;
      console.log(`${name}: ${out} filters of ${inC}×${kh}×${kw}`);
      write(f.out, `filters-${name.replace('.weight', '')}.svg`, () => filtersSvg(weight, { title: `${f.model}: layer ${name.split('.')[0]}, ${out} filters ${kh}×${kw}` }));
    },
  }),
  optimizers: experiment({
    summary: 'optimizer trajectories over 2-D test surfaces, driven through the real optimizer classes',
    usage: 'descent lab optimizers [--surface saddle] [--optimizers sgd,momentum,rmsprop,adam] [--steps N] [--out DIR]',
    flags: {
      surface: { type: 'list', choices: [...SURFACE_NAMES, 'all'], default: ['saddle'], help: 'surface(s)' },
      optimizers: { type: 'list', choices: OPTIMIZER_NAMES, default: ['sgd', 'momentum', 'rmsprop', 'adam'], help: 'optimizers' },
      steps: { type: 'number', value: 'N', integer: true, min: 1, max: 1_000_000, help: "optimizer steps (default: the surface's)" },
      lr: { type: 'number', value: 'LR', positive: true, help: "one learning rate for every optimizer (default: each optimizer's rate for the surface)" },
      start: { type: 'string', value: 'X,Y', help: "start point (default: the surface's)" },
    },
    async run(f) {
      const surfaces = (f.surface.includes('all') ? [...SURFACE_NAMES] : f.surface) as SurfaceName[];
      let start: [number, number] | undefined;
      if (f.start !== undefined) {
        const parts = f.start.split(',').map(Number);
        if (parts.length !== 2 || !parts.every(Number.isFinite)) throw new UsageError(`--start expects X,Y (two numbers), received '${f.start}'`);
        start = [parts[0], parts[1]];
      }
      for (const name of surfaces) {
        const surface = SURFACES[name];
        const runs = f.optimizers.map((o) => trajectory(surface, o, { steps: f.steps, lr: f.lr, start }));
        console.log(`\n${surface.title}, from (${(start ?? surface.start).join(', ')})`);
        console.log(trajectoryTable(surface, runs));
        write(f.out, `optimizers-${name}.svg`, () => trajectoriesSvg(surface, runs));
      }
    },
  }),
  serve: SERVE,
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  descent lab ${name.padEnd(12)} ${c.summary}`);
  return `usage: descent lab <experiment> [options]\n\nexperiments:\n${lines.join('\n')}\n\nRun 'descent lab <experiment> --help' for its options; every experiment but serve takes --out DIR, --backend NAME and --threads N.`;
}

function commandHelp(name: string, c: Command): string {
  return `descent lab ${name}: ${helpText({ usage: c.usage, summary: c.summary, flags: c.flags })}`;
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

function write(dir: string | undefined, file: string, svg: () => string): void {
  if (dir === undefined) return;
  fs().mkdirSync(dir, { recursive: true });
  const target = path().join(dir, file);
  fs().writeFileSync(target, svg());
  console.log(`wrote ${target}`);
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
    const { values } = parseFlags(`lab ${name}`, rest, command.flags as typeof COMMON);
    if (values.help) {
      console.log(commandHelp(name, command));
      return 0;
    }
    if (command.runtime !== false) {
      const { note } = await loadRuntime(values.backend, values.threads);
      if (note) console.error(`descent lab ${name}: ${note}`);
    }
    await command.run(values);
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
