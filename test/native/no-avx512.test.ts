/**
 * The native addon on a CPU without AVX-512. Most x86 CPUs people install on (laptops, many cloud VMs) have AVX2 and
 * FMA only; an AVX-512 instruction reached there is a SIGILL that kills the process. The AVX-512 table is built on
 * first use by code compiled for AVX-512, so merely asking for it crashes such a CPU (the conv paths once did, via
 * isa_avx512_active). On a machine that has AVX-512 no in-process test can see this, so the check runs the conv and
 * pool paths under valgrind, whose emulated CPU has no AVX-512 (it reports AVX2 and FMA), and compares a few CNN
 * training steps with the js reference. Spawned from dist/ (build first); needs valgrind (.ci/run installs it).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

// Every conv call site that asks whether AVX-512 is active: Winograd's plan (3×3 stride 1), the direct same-size
// path, the fused conv + 2×2 max pool and its expansion, the standalone pool (unfused model); Winograd forced on and
// off so both plans are built.
const script = `
import { loadBackend, setBackend, manualSeed, Sequential, Conv2d, ReLU, MaxPool2d, Flatten, Linear, Adam, Trainer } from './dist/src/index.js';
import { loadAddon } from './dist/src/backends/native.js';
const addon = loadAddon();
const native = await loadBackend('native'), js = await loadBackend('js');
const x = Float32Array.from({ length: 4 * 12 * 12 }, (_, i) => Math.sin(i * 0.37));
const y = Int32Array.from([0, 1, 2, 3]);
function train(backend, fuse) {
  setBackend(backend);
  manualSeed(5);
  const model = new Sequential([
    new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
    new Conv2d(4, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(8 * 3 * 3, 4),
  ], { inputShape: [1, 12, 12], fuse });
  const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), loss: 'crossEntropy' });
  const losses = [0, 1, 2].map(() => trainer.step(x, y));
  const weights = Object.values(model.stateDict()).flatMap((e) => Array.from(e.data));
  model.dispose();
  return { losses, weights };
}
let worst = 0;
for (const mode of ['always', 'never'])
  for (const fuse of [true, false]) {
    addon.setWinograd(mode);
    const a = train(native, fuse), b = train(js, fuse);
    [...a.losses.map((v, i) => [v, b.losses[i]]), ...a.weights.map((v, i) => [v, b.weights[i]])]
      .forEach(([u, v]) => { worst = Math.max(worst, Math.abs(u - v) / (1 + Math.abs(v))); });
  }
console.log(JSON.stringify({ isa: addon.info().isa, supported: addon.info().supported, worst }));
`;

describe('native addon on a CPU without AVX-512 (valgrind)', () => {
  it('trains a CNN through every conv and pool path without an AVX-512 instruction, matching the js reference', () => {
    const run = spawnSync('valgrind', ['-q', '--error-exitcode=0', process.execPath, '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DESCENT_THREADS: '2', DESCENT_ISA: '' },
    });
    expect(run.error, 'valgrind not found: install it (Debian package valgrind)').toBeUndefined();
    // A SIGILL shows as valgrind's "unhandled instruction" report and a signal instead of an exit status.
    expect(run.signal, run.stderr).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { isa: string; supported: string; worst: number };
    expect(result.supported.split(',')).not.toContain('avx512f');
    expect(result.isa).toBe('avx2_fma');
    expect(result.worst).toBeLessThan(1e-4);
  }, 240_000);
});
