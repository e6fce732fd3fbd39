/**
 * Fashion-MNIST side by side: the same recipe (MLP 784-256-128-10, ReLU, Adam lr 1e-3, batch 128, cosine over
 * 12 epochs, standardised pixels) with `descent train` on every available backend and with PyTorch
 * (bench/fashion_torch.py, Debian python3-torch, same thread count). Prints a markdown table and JSON lines.
 * Run after a build: node dist/bench/fashion.js [--epochs N] [--threads N] [--skip-js]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { availableBackends } from '../src/index.js';
import { packageRoot } from '../src/node.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const epochs = opt('epochs', '12'), threads = opt('threads', '2');
const root = packageRoot();
const recipe = ['--dataset', 'fashion-mnist', '--layers', '784-256-128-10', '--optimizer', 'adam', '--lr', '1e-3', '--batch-size', '128', '--scheduler', 'cosine', '--epochs', epochs, '--seed', '0', '--json'];

interface Result { backend: string; backendDetail: string; testAccuracy: number; trainSeconds: number; samplesPerSecond: number; loadSeconds: number }
const results: Result[] = [];
function last(stdout: string): Result {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

for (const info of await availableBackends()) {
  if (!info.available || (info.name === 'js' && argv.includes('--skip-js'))) continue;
  process.stderr.write(`descent ${info.name}…\n`);
  const r = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'train', ...recipe, '--backend', info.name, '--threads', threads], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`descent train on ${info.name} failed (${r.status})`);
  results.push(last(r.stdout));
}
process.stderr.write('pytorch…\n');
const py = spawnSync('/usr/bin/python3', [join(root, 'bench/fashion_torch.py'), '--epochs', epochs, '--threads', threads], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (py.status === 0) results.push(last(py.stdout));
else process.stderr.write(`pytorch run failed (${py.status}); is python3-torch installed?\n`);

for (const r of results) console.log(JSON.stringify(r));
console.log(`\n| backend | detail | test accuracy | train time | samples/s |\n|---|---|---|---|---|`);
for (const r of results) {
  console.log(`| ${r.backend} | ${r.backendDetail} | ${(100 * r.testAccuracy).toFixed(2)} % | ${r.trainSeconds.toFixed(1)} s | ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} |`);
}
