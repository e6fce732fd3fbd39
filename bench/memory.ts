/**
 * `npm run bench:memory`: peak resident memory of CNN training, descent against PyTorch. Each measurement runs in a
 * fresh process: the peak RSS (getrusage maxrss) after 20 training steps at batch 128 minus the RSS right after the
 * library loaded, so the figure is what training the model costs, not the runtime. PyTorch runs
 * bench/peers/memory.py under /usr/bin/python3 (or $PYTHON), 1 thread, with glibc malloc tuned as in bench:peers.
 *
 *   npm run bench:memory -- [--backends native,wasm] [--trials cnn-s,2conv]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBackend, setBackend } from '../src/index.js';
import { TRAIN_TRIALS, trainTrial } from './shapes.js';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'native,wasm' },
    trials: { type: 'string', default: 'cnn-s,2conv' },
    child: { type: 'string' },
  },
});

const mb = (bytes: number) => bytes / 2 ** 20;

if (args.child) {
  const [backendName, trialName] = args.child.split(':');
  const backend = await loadBackend(backendName as 'native' | 'wasm' | 'js');
  const base = process.memoryUsage().rss;
  setBackend(backend);
  const trial = TRAIN_TRIALS.find((t) => t.name.startsWith(trialName))!;
  const { step } = trainTrial(trial);
  for (let i = 0; i < 20; i++) step();
  // maxRSS is in kilobytes.
  console.log(JSON.stringify({ peer: backendName, trial: trialName, peakMB: mb(process.resourceUsage().maxRSS * 1024 - base) }));
} else {
  const rows: { peer: string; trial: string; peakMB: number }[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const trial of args.trials!.split(',')) {
    for (const backend of args.backends!.split(',')) {
      const r = spawnSync(process.execPath, [self, '--child', `${backend}:${trial}`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      rows.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
    }
    const env: Record<string, string | undefined> = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296' };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const py = spawnSync(process.env.PYTHON ?? '/usr/bin/python3', ['bench/peers/memory.py', trial], { encoding: 'utf8', env });
    if (py.status === 0) rows.push(JSON.parse(py.stdout.trim().split('\n').pop()!));
    else console.error(`# torch (${trial}) failed: ${py.stderr.split('\n').slice(-3).join(' ')}`);
  }
  console.log('| trial | peer | peak training memory (MB) | × torch |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    const torch = rows.find((t) => t.trial === r.trial && t.peer === 'torch');
    console.log(`| ${r.trial} batch 128 | ${r.peer} | ${r.peakMB.toFixed(1)} | ${torch ? (r.peakMB / torch.peakMB).toFixed(2) : '—'} |`);
  }
}
