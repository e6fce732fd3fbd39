#!/usr/bin/env node
/**
 * The `descent` command. Each subcommand lives in its own module, loaded on demand:
 *   descent lab …       the lecture's experiments (src/cli/lab.ts)
 *   descent train …     train on real data (src/cli/train.ts)
 *   descent predict …   evaluate a saved model (src/cli/predict.ts)
 *   descent export …    write a saved model as ONNX (src/cli/export.ts)
 */
const COMMANDS: Record<string, { module: string; summary: string }> = {
  lab: { module: './lab.js', summary: 'the lecture: activations, init probes, optimizer landscapes (SVG + terminal)' },
  train: { module: './train.js', summary: 'train an MLP on digits, Fashion-MNIST, MNIST or a CSV file' },
  predict: { module: './predict.js', summary: 'evaluate a saved model on a data file' },
  export: { module: './export.js', summary: 'write a saved model as ONNX (onnxruntime, any ONNX runtime)' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  descent ${name.padEnd(8)} ${c.summary}`);
  return `usage: descent <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'descent <command> --help' for a command's options.`;
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  console.log(usage());
} else if (!(command in COMMANDS)) {
  console.error(`descent: unknown command '${command}'\n\n${usage()}`);
  process.exitCode = 2;
} else {
  const mod = (await import(COMMANDS[command].module)) as { run(args: string[]): Promise<number> };
  process.exitCode = await mod.run(rest);
}
