/**
 * `descent predict --model PATH --input FILE`: runs a checkpoint written by `descent train` on new data (IDX
 * images with their labels file, or a CSV file), preprocessed exactly as in training, and reports accuracy and
 * the confusion matrix when labels are known. `--output FILE` writes one predicted class per line (its name when
 * the training labels had names).
 */
import { loadCheckpoint } from '../checkpoint.js';
import { loadCsv } from '../data/csv.js';
import { idxDataset, loadIdx, readMaybeGzip } from '../data/idx.js';
import { confusionMatrix, standardize, type Standardizer } from '../data/transforms.js';
import { fs } from '../node.js';
import { Trainer } from '../trainer.js';
import { SGD } from '../optim/sgd.js';
import { alignLabels, buildModel, checkLayersAgainstTensors, type TrainConfig } from './train.js';
import { formatConfusion, helpText, parseFlags, UsageError, type Flags } from './args.js';
import { loadRuntime, RUNTIME_FLAGS } from './runtime.js';

const FLAGS = {
  model: { type: 'string', value: 'PATH', short: 'm', help: 'the checkpoint (--save of descent train)' },
  input: { type: 'string', value: 'FILE', short: 'i', help: 'IDX images (plain or .gz) or a CSV file with the same columns as in training' },
  labels: { type: 'string', value: 'FILE', help: 'IDX labels for IDX images (default: the matching *-labels-idx1-ubyte[.gz] next to them)' },
  'label-column': { type: 'string', value: 'C', help: 'CSV label column (default: as in training)' },
  output: { type: 'string', value: 'FILE', help: "write every row's predicted class, one per line (its name when the training labels had names)" },
  json: { type: 'boolean', help: 'print the result as one JSON object' },
  ...RUNTIME_FLAGS,
} as const satisfies Flags;

const PREDICT_HELP = helpText({
  usage: 'descent predict --model PATH --input FILE [options]',
  summary: "Evaluates a checkpoint written by 'descent train' on a data file.",
  flags: FLAGS,
});

function isIdx(file: string): boolean {
  const head = readMaybeGzip(file).subarray(0, 4);
  return head.length === 4 && head[0] === 0 && head[1] === 0 && head[2] >= 0x08 && head[2] <= 0x0e;
}

function companionLabels(images: string): string | undefined {
  const guess = images.replace(/images-idx3-ubyte/, 'labels-idx1-ubyte');
  if (guess === images) return undefined;
  return [guess, guess.endsWith('.gz') ? guess.slice(0, -3) : `${guess}.gz`].find((f) => fs().existsSync(f));
}

export async function run(args: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const err = (s: string) => process.stderr.write(`${s}\n`);
  try {
    const flags = parseFlags('predict', args, FLAGS).values;
    if (flags.help) {
      out(PREDICT_HELP);
      return 0;
    }
    if (!flags.model) throw new UsageError('--model PATH is required');
    if (!flags.input) throw new UsageError('--input FILE is required');
    const ckpt = loadCheckpoint(flags.model);
    const config = ckpt.config as unknown as TrainConfig | undefined;
    const extra = ckpt.extra as { preprocess?: { inputScale: number; standardizer: Standardizer | null }; labelNames?: string[] | null; features?: number; classes?: number } | undefined;
    if (!config || !Array.isArray(config.layers) || !extra?.preprocess) throw new UsageError(`${flags.model} was not written by 'descent train'`);
    checkLayersAgainstTensors(config, ckpt.model, flags.model);
    const { backend, note } = await loadRuntime(flags.backend, flags.threads);
    if (note) err(`descent predict: ${note}`);

    const input = flags.input;
    let x: Float32Array, y: Int32Array | null = null;
    if (isIdx(input)) {
      const images = loadIdx(input);
      const labelsFile = flags.labels ?? companionLabels(input);
      if (labelsFile) {
        const d = idxDataset(images, loadIdx(labelsFile), input, labelsFile);
        x = d.x;
        y = d.y;
      } else {
        x = Float32Array.from(images.data as ArrayLike<number>);
      }
    } else {
      const column = flags['label-column'] ?? config.labelColumn;
      const d = loadCsv(input, { label: column === undefined ? undefined : /^\d+$/.test(column) ? Number(column) : column });
      x = d.x;
      y = alignLabels(d, input, extra.classes ?? config.layers[config.layers.length - 1], extra.labelNames ?? undefined);
    }
    const features = extra.features ?? config.layers[0];
    if (x.length % features !== 0) throw new UsageError(`${input}: ${x.length} values are not rows of ${features} features (the model's input width)`);
    const scale = extra.preprocess.inputScale;
    if (scale !== 1) for (let i = 0; i < x.length; i++) x[i] /= scale;
    if (extra.preprocess.standardizer) standardize(x, extra.preprocess.standardizer);

    const model = buildModel(config, extra.classes);
    model.loadStateDict(ckpt.model);
    // A trainer only for batched evaluation; the optimizer never steps.
    const trainer = new Trainer(model, { optimizer: new SGD(model.parameters()), loss: 'crossEntropy' });
    const started = performance.now();
    const outputs = trainer.predict(x);
    const classes = model.outFeatures, rows = x.length / features;
    const predicted = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let j = 1; j < classes; j++) if (outputs[i * classes + j] > outputs[i * classes + best]) best = j;
      predicted[i] = best;
    }
    const seconds = (performance.now() - started) / 1000;
    const names = extra.labelNames ?? undefined;
    if (flags.output) fs().writeFileSync(flags.output, `${Array.from(predicted, (c) => names?.[c] ?? String(c)).join('\n')}\n`);
    const result: Record<string, unknown> = { rows, seconds, backend: backend.name, epoch: ckpt.epoch };
    let matrix: Int32Array | null = null;
    if (y && y.every((v) => v >= 0 && v < classes)) {
      let hits = 0;
      for (let i = 0; i < rows; i++) if (predicted[i] === y[i]) hits++;
      result.accuracy = hits / rows;
      matrix = confusionMatrix(outputs, y, classes);
    } else if (y) err("descent predict: some labels are outside the model's classes; accuracy not computed");
    if (flags.json) out(JSON.stringify({ ...result, confusion: matrix ? Array.from(matrix) : null }));
    else {
      out(`${flags.model} (epoch ${ckpt.epoch}, ${config.layers.join('-')}) on ${input}: ${rows} rows in ${seconds.toFixed(2)}s on ${backend.name}`);
      if (result.accuracy !== undefined) out(`accuracy ${(100 * (result.accuracy as number)).toFixed(2)}%\n${formatConfusion(matrix!, classes, names)}`);
      if (flags.output) out(`predictions written to ${flags.output}`);
    }
    return 0;
  } catch (error) {
    err(`descent predict: ${(error as Error).message}`);
    return error instanceof UsageError || (error as { code?: string }).code === 'ERR_DATA' ? 2 : 1;
  }
}
