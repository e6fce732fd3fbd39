/**
 * `descent predict --model PATH --input FILE`: runs a checkpoint written by `descent train` on new data (IDX
 * images with their labels file, or a CSV file), preprocessed exactly as in training, and reports accuracy and
 * the confusion matrix when labels are known. `--output FILE` writes one predicted class per line.
 */
import { loadBackend } from '../backends/index.js';
import type { BackendName } from '../backends/types.js';
import { loadCheckpoint } from '../checkpoint.js';
import { loadCsv } from '../data/csv.js';
import { idxDataset, loadIdx, readMaybeGzip } from '../data/idx.js';
import { confusionMatrix, standardize, type Standardizer } from '../data/transforms.js';
import { fs } from '../node.js';
import { Trainer } from '../trainer.js';
import { SGD } from '../optim/sgd.js';
import { buildModel, type TrainConfig } from './train.js';
import { choiceFlag, formatConfusion, parseFlags, UsageError } from './args.js';

export const PREDICT_HELP = `usage: descent predict --model PATH --input FILE [options]

Evaluates a checkpoint written by 'descent train' on a data file.

  --model PATH          the checkpoint (--save of descent train)
  --input FILE          IDX images (plain or .gz) or a CSV file with the same columns as in training
  --labels FILE         IDX labels for IDX images (default: the matching *-labels-idx1-ubyte[.gz] next to them)
  --label-column C      CSV label column (default: as in training)
  --output FILE         write the predicted class of every row, one per line
  --backend NAME        auto | native | wasm | js
  --json                print the result as one JSON object
  -h, --help            this help`;

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
    const flags = parseFlags('predict', args, {
      model: { type: 'string', short: 'm' }, input: { type: 'string', short: 'i' }, labels: { type: 'string' },
      'label-column': { type: 'string' }, output: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help) {
      out(PREDICT_HELP);
      return 0;
    }
    if (!flags.model) throw new UsageError('--model PATH is required');
    if (!flags.input) throw new UsageError('--input FILE is required');
    const backendName = choiceFlag('backend', flags.backend as string | undefined, ['auto', 'native', 'wasm', 'js'] as const) ?? 'auto';
    const ckpt = loadCheckpoint(flags.model as string);
    const config = ckpt.config as unknown as TrainConfig | undefined;
    const extra = ckpt.extra as { preprocess?: { inputScale: number; standardizer: Standardizer | null }; labelNames?: string[] | null } | undefined;
    if (!config || !Array.isArray(config.layers) || !extra?.preprocess) throw new UsageError(`${flags.model} was not written by 'descent train'`);
    const backend = await loadBackend(backendName as BackendName | 'auto');

    const input = flags.input as string;
    let x: Float32Array, y: Int32Array | null = null;
    if (isIdx(input)) {
      const images = loadIdx(input);
      const labelsFile = (flags.labels as string | undefined) ?? companionLabels(input);
      if (labelsFile) {
        const d = idxDataset(images, loadIdx(labelsFile), input, labelsFile);
        x = d.x;
        y = d.y;
      } else {
        x = Float32Array.from(images.data as ArrayLike<number>);
      }
    } else {
      const column = (flags['label-column'] as string | undefined) ?? config.labelColumn;
      const d = loadCsv(input, { label: column === undefined ? undefined : /^\d+$/.test(column) ? Number(column) : column });
      x = d.x;
      y = d.y;
      if (d.labelNames && extra.labelNames) {
        // Map CSV label names to the training numbering.
        const index = new Map(extra.labelNames.map((n, i) => [n, i]));
        y = Int32Array.from(y, (v) => index.get(d.labelNames![v]) ?? -1);
      }
    }
    const features = config.layers[0];
    if (x.length % features !== 0) throw new UsageError(`${input}: ${x.length} values are not rows of ${features} features (the model's input width)`);
    const scale = extra.preprocess.inputScale;
    if (scale !== 1) for (let i = 0; i < x.length; i++) x[i] /= scale;
    if (extra.preprocess.standardizer) standardize(x, extra.preprocess.standardizer);

    const model = buildModel(config);
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
    if (flags.output) fs().writeFileSync(flags.output as string, `${Array.from(predicted).join('\n')}\n`);
    const result: Record<string, unknown> = { rows, seconds, backend: backend.name, epoch: ckpt.epoch };
    let matrix: Int32Array | null = null;
    if (y && y.every((v) => v >= 0 && v < classes)) {
      let hits = 0;
      for (let i = 0; i < rows; i++) if (predicted[i] === y[i]) hits++;
      result.accuracy = hits / rows;
      matrix = confusionMatrix(outputs, y, classes);
    } else if (y) err('descent predict: some labels are outside the model\'s classes; accuracy not computed');
    if (flags.json) out(JSON.stringify({ ...result, confusion: matrix ? Array.from(matrix) : null }));
    else {
      out(`${flags.model} (epoch ${ckpt.epoch}, ${config.layers.join('-')}) on ${input}: ${rows} rows in ${seconds.toFixed(2)}s on ${backend.name}`);
      if (result.accuracy !== undefined) out(`accuracy ${(100 * (result.accuracy as number)).toFixed(2)}%\n${formatConfusion(matrix!, classes, extra.labelNames ?? undefined)}`);
      if (flags.output) out(`predictions written to ${flags.output}`);
    }
    return 0;
  } catch (error) {
    err(`descent predict: ${(error as Error).message}`);
    return error instanceof UsageError || (error as { code?: string }).code === 'ERR_DATA' ? 2 : 1;
  }
}
