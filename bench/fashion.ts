/**
 * Fashion-MNIST side by side: one recipe with `descent train` on every available backend and with PyTorch
 * (bench/fashion_torch.py, Debian python3-torch, same thread count). Recipes: `--arch mlp` (default: MLP
 * 784-256-128-10, ReLU, Adam lr 1e-3, batch 128, cosine over 12 epochs) and `--arch cnn` (descent's `cnn` preset;
 * give --epochs and --optimizer); pixels standardised. Prints a markdown table and JSON lines.
 * The js reference trains a CNN at tens of samples/s, so `--js-limit N` runs it on the first N training rows for one
 * epoch (its row then reports speed only).
 * Run after a build: node dist/bench/fashion.js [--arch mlp|cnn] [--epochs N] [--optimizer adam|adamw]
 *   [--weight-decay W] [--augment hflip,crop2] [--threads N] [--backends native,wasm,js] [--skip-js] [--js-limit N] [--no-torch]
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
const arch = opt('arch', 'mlp'), epochs = opt('epochs', '12'), threads = opt('threads', '2');
const optimizer = opt('optimizer', 'adam'), weightDecay = opt('weight-decay', '');
const jsLimit = opt('js-limit', ''), augment = opt('augment', '');
const only = opt('backends', 'native,wasm,js').split(',');
const root = packageRoot();
const model = arch === 'mlp' ? ['--layers', '784-256-128-10'] : ['--arch', arch];
const decay = weightDecay ? ['--weight-decay', weightDecay] : [];
const augmentation = augment ? ['--augment', augment] : [];
const recipe = ['--dataset', 'fashion-mnist', ...model, '--optimizer', optimizer, ...decay, ...augmentation, '--lr', '1e-3', '--batch-size', '128', '--scheduler', 'cosine', '--seed', '0', '--json'];

interface Result { backend: string; backendDetail: string; testAccuracy: number; trainSeconds: number; samplesPerSecond: number; loadSeconds: number; limitedTo?: number }
const results: Result[] = [];
function last(stdout: string): Result {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

for (const info of await availableBackends()) {
  if (!info.available || !only.includes(info.name) || (info.name === 'js' && argv.includes('--skip-js'))) continue;
  const limited = info.name === 'js' && jsLimit !== '';
  const run = limited ? ['--epochs', '1', '--limit', jsLimit] : ['--epochs', epochs];
  process.stderr.write(`descent ${info.name}…\n`);
  // The threads flag sizes native and wasm pools; the js reference has none.
  const threading = info.name === 'js' ? [] : ['--threads', threads];
  const r = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'train', ...recipe, ...run, '--backend', info.name, ...threading], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`descent train on ${info.name} failed (${r.status})`);
  results.push({ ...last(r.stdout), ...(limited ? { limitedTo: Number(jsLimit) } : {}) });
}
if (!argv.includes('--no-torch')) {
  process.stderr.write('pytorch…\n');
  const torchArgs = ['--arch', arch, '--epochs', epochs, '--threads', threads, '--optimizer', optimizer, ...decay, ...augmentation];
  const py = spawnSync('/usr/bin/python3', [join(root, 'bench/fashion_torch.py'), ...torchArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (py.status === 0) results.push(last(py.stdout));
  else process.stderr.write(`pytorch run failed (${py.status}); is python3-torch installed?\n`);
}

for (const r of results) console.log(JSON.stringify(r));
console.log(`\n| backend | detail | test accuracy | train time | samples/s |\n|---|---|---|---|---|`);
for (const r of results) {
  const accuracy = r.limitedTo ? `— (1 epoch of ${r.limitedTo} rows)` : `${(100 * r.testAccuracy).toFixed(2)} %`;
  console.log(`| ${r.backend} | ${r.backendDetail} | ${accuracy} | ${r.trainSeconds.toFixed(1)} s | ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} |`);
}
