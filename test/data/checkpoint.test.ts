/**
 * Checkpoints: exact round trips (including ±Infinity), clear errors for truncated or corrupt files, no
 * half-loaded model, bit-identical resume through Trainer.fit, and an atomic save that survives SIGKILL mid-write.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam, jsBackend, Linear, ReduceLROnPlateau, ReLU, Rng, Sequential, setBackend, StepLR, Trainer } from '../../src/index.js';
import { createCheckpoint, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../src/checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'descent-ckpt-'));
const root = new URL('../..', import.meta.url).pathname;

function setup(seed = 1) {
  setBackend(jsBackend);
  const rng = new Rng(seed);
  const model = new Sequential([new Linear(6, 8, { rng }), new ReLU(), new Linear(8, 3, { rng })]);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const scheduler = new StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  const trainer = new Trainer(model, { optimizer, loss: 'crossEntropy', scheduler });
  return { model, optimizer, scheduler, trainer };
}

function data(n = 90) {
  const r = new Rng(3), x = new Float32Array(n * 6), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < 6; j++) x[i * 6 + j] = r.normal() + (j % 3 === y[i] ? 1.5 : 0);
  }
  return { x, y };
}

describe('checkpoint format', () => {
  it('round-trips weights, optimizer, scheduler, rng and ±Infinity exactly', () => {
    const { model, optimizer, trainer } = setup();
    const d = data();
    trainer.step(d.x, d.y);
    const plateau = new ReduceLROnPlateau(optimizer);
    const rng = new Rng(9);
    rng.normal();
    const c = createCheckpoint({ model, optimizer, scheduler: plateau, rng, epoch: 4, config: { a: [1, 2], neg: -Infinity, nan: NaN }, extra: { ids: new Int32Array([1, -2]) } });
    const back = decodeCheckpoint(encodeCheckpoint(c));
    expect(back.scheduler!.state.best).toBe(Infinity);
    expect(back.config).toEqual({ a: [1, 2], neg: -Infinity, nan: NaN });
    expect(back.rng).toEqual(rng.getState());
    expect(back.epoch).toBe(4);
    expect(back.extra!.ids).toEqual(new Int32Array([1, -2]));
    for (const [k, e] of Object.entries(c.model)) expect(back.model[k].data).toEqual(e.data);
    expect(back.optimizer!.state.state[0].exp_avg).toEqual(c.optimizer!.state.state[0].exp_avg);
  });

  it('rejects truncated, padded, corrupt and foreign files with a clear message', () => {
    const { model } = setup();
    const bytes = encodeCheckpoint(createCheckpoint({ model }));
    const file = join(dir, 'c.ckpt');
    writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    expect(() => loadCheckpoint(file)).toThrow(/c.ckpt is not a usable checkpoint: length \d+ bytes, the header says \d+ \(truncated\)/);
    writeFileSync(file, bytes.subarray(0, 10));
    expect(() => loadCheckpoint(file)).toThrow(/shorter than the 32-byte header/);
    const flipped = bytes.slice();
    flipped[flipped.length - 3] ^= 1;
    writeFileSync(file, flipped);
    expect(() => loadCheckpoint(file)).toThrow(/checksum mismatch/);
    writeFileSync(file, 'hello, this is not a checkpoint at all');
    expect(() => loadCheckpoint(file)).toThrow(/not a descent checkpoint/);
    expect(() => loadCheckpoint(join(dir, 'missing.ckpt'))).toThrow(/cannot read/);
  });

  it('never leaves a half-loaded model: a rejected part rolls back the others', () => {
    const a = setup(1), b = setup(2);
    const c = createCheckpoint({ model: a.model, optimizer: a.optimizer, scheduler: a.scheduler });
    delete (c.optimizer!.state.paramGroups[0] as Record<string, unknown>).params;
    (c.optimizer!.state.paramGroups[0] as Record<string, unknown>).params = [0];
    const before = b.model.stateDict();
    expect(() => restoreCheckpoint(c, { model: b.model, optimizer: b.optimizer, scheduler: b.scheduler })).toThrow(/parameters/);
    for (const [k, e] of Object.entries(before)) expect(b.model.stateDict()[k].data).toEqual(e.data);
  });

  it('resumes Trainer.fit bit-identically (js backend): 6 epochs straight = 3 + save/load + 3', async () => {
    const d = data();
    const straight = setup();
    await straight.trainer.fit(d, { epochs: 6, batchSize: 16, rng: new Rng(5), progress: false });

    const first = setup(), rng = new Rng(5);
    await first.trainer.fit(d, { epochs: 3, batchSize: 16, rng, progress: false });
    const file = join(dir, 'resume.ckpt');
    saveCheckpoint(file, { model: first.model, optimizer: first.optimizer, scheduler: first.scheduler, rng, epoch: 3 });
    const second = setup(77), rng2 = new Rng(0);
    const c = loadCheckpoint(file);
    restoreCheckpoint(c, { model: second.model, optimizer: second.optimizer, scheduler: second.scheduler, rng: rng2 });
    await second.trainer.fit(d, { epochs: 6, batchSize: 16, rng: rng2, initialEpoch: c.epoch, progress: false });

    const want = straight.model.stateDict(), got = second.model.stateDict();
    for (const k of Object.keys(want)) expect(Buffer.from(got[k].data.buffer).equals(Buffer.from(want[k].data.buffer)), k).toBe(true);
    expect(second.optimizer.lr).toBe(straight.optimizer.lr);
  });
});

describe('atomic save', () => {
  it('a process killed mid-save leaves the previous checkpoint intact', async () => {
    const built = existsSync(join(root, 'dist/src/checkpoint.js'));
    expect(built, 'dist/src/checkpoint.js is missing: run `npx tsc -p tsconfig.json` first').toBe(true);
    const file = join(dir, 'atomic.ckpt');
    // The child saves ~64 MB checkpoints whose every value is the version number, as fast as it can.
    const child = `
      const { saveCheckpoint } = await import(${JSON.stringify(join(root, 'dist/src/checkpoint.js'))});
      const data = new Float32Array(16 << 20);
      for (let v = 1; ; v++) {
        data.fill(v);
        saveCheckpoint(${JSON.stringify(file)}, { model: { w: { shape: [data.length], data } }, epoch: v });
        process.stdout.write('saved ' + v + '\\n');
      }`;
    let caught = false;
    for (let attempt = 0; attempt < 5 && !caught; attempt++) {
      const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
      const prefix = `.atomic.ckpt.tmp-${p.pid}-`;
      const tmpFile = () => readdirSync(dir).find((n) => n.startsWith(prefix));
      await new Promise<void>((resolve) => p.stdout!.on('data', (b: Buffer) => b.toString().includes('saved') && resolve()));
      // Wait until the next save's temporary file has some bytes, then kill without warning.
      const deadline = Date.now() + 20_000;
      const written = () => {
        const name = tmpFile();
        try {
          return name !== undefined && statSync(join(dir, name)).size > 0;
        } catch {
          return false;
        }
      };
      while (Date.now() < deadline && !written()) await new Promise((r) => setTimeout(r, 1));
      p.kill('SIGKILL');
      await new Promise((r) => p.on('exit', r));
      caught = tmpFile() !== undefined;
      const c = loadCheckpoint(file);
      const w = c.model.w.data;
      expect(w.length).toBe(16 << 20);
      expect(w[0]).toBe(c.epoch);
      expect(w[w.length - 1]).toBe(c.epoch);
    }
    // At least one kill landed between open and rename (the temporary file was left behind).
    expect(caught).toBe(true);
  }, 120_000);
});
