/**
 * `descent export --onnx FILE --model PATH`: writes a checkpoint of `descent train` as an ONNX model (IR 8, opset
 * 17 by default) for onnxruntime or any other ONNX runtime. The graph is the network only: inputs must be
 * preprocessed as in training (the command prints how).
 */
import { loadBackend } from '../backends/index.js';
import { loadCheckpoint } from '../checkpoint.js';
import type { Standardizer } from '../data/transforms.js';
import { saveOnnx } from '../io/onnx.js';
import { buildModel, type TrainConfig } from './train.js';
import { helpText, parseFlags, UsageError, type Flags } from './args.js';

const FLAGS = {
  onnx: { type: 'string', value: 'FILE', help: 'the ONNX file to write' },
  model: { type: 'string', value: 'PATH', short: 'm', help: 'the checkpoint (--save of descent train)' },
  opset: { type: 'number', value: 'N', integer: true, min: 13, max: 21, default: 17, help: 'ONNX opset' },
} as const satisfies Flags;

const EXPORT_HELP = helpText({
  usage: 'descent export --onnx FILE --model PATH [options]',
  summary: "Writes a checkpoint written by 'descent train' as an ONNX model (input 'input' [batch, features], output\n'output' [batch, classes] logits, a dynamic batch axis).",
  flags: FLAGS,
});

export async function run(args: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  try {
    const flags = parseFlags('export', args, FLAGS).values;
    if (flags.help) {
      out(EXPORT_HELP);
      return 0;
    }
    if (!flags.onnx) throw new UsageError('--onnx FILE is required');
    if (!flags.model) throw new UsageError('--model PATH is required');
    const opset = flags.opset;
    const ckpt = loadCheckpoint(flags.model);
    const config = ckpt.config as unknown as TrainConfig | undefined;
    if (!config || !Array.isArray(config.layers)) throw new UsageError(`${flags.model} was not written by 'descent train'`);
    // Exporting copies weights only: the reference backend is enough.
    await loadBackend('js');
    const model = buildModel(config);
    model.loadStateDict(ckpt.model);
    saveOnnx(model, flags.onnx, { opset, docString: `descent train checkpoint, epoch ${ckpt.epoch}` });
    out(`wrote ${flags.onnx}: input 'input' [batch, ${model.inputShape.join(', ')}] → output 'output' [batch, ${model.outputShape.join(', ')}] (logits), opset ${opset}`);
    const pre = (ckpt.extra as { preprocess?: { inputScale: number; standardizer: Standardizer | null } } | undefined)?.preprocess;
    if (pre && (pre.inputScale !== 1 || pre.standardizer)) {
      const steps = [pre.inputScale !== 1 ? `divide by ${pre.inputScale}` : '', pre.standardizer ? 'standardise with the training mean and std (in the checkpoint)' : ''].filter(Boolean);
      out(`inputs are preprocessed as in training: ${steps.join(', then ')}`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`descent export: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
