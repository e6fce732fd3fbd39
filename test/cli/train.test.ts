/**
 * `descent train` and `descent predict` as a user runs them: spawned from dist/ (build first), on the js backend
 * where numbers are compared, so results are bit-reproducible. No timed assertions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
const FAST = ['--backend', 'js', '--limit', '500', '--layers', '64-32-10', '--batch-size', '16'];

function descent(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function weights(file: string): Promise<Record<string, Float32Array>> {
  const { loadCheckpoint } = await import(join(root, 'dist/src/checkpoint.js'));
  const c = loadCheckpoint(file);
  return Object.fromEntries(Object.entries(c.model).map(([k, e]) => [k, (e as { data: Float32Array }).data]));
}

async function expectSameWeights(a: string, b: string): Promise<void> {
  const wa = await weights(a), wb = await weights(b);
  expect(Object.keys(wa)).toEqual(Object.keys(wb));
  for (const k of Object.keys(wa)) expect(Buffer.from(wb[k].buffer).equals(Buffer.from(wa[k].buffer)), `${k} differs`).toBe(true);
}

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -p tsconfig.json)`);
});

describe('descent train', () => {
  it('prints help and rejects unknown or malformed flags with exit code 2', () => {
    const help = descent('train', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--dataset NAME/);
    const bad = descent('train', '--learning-rate', '0.1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown option '--learning-rate'/);
    expect(descent('train', '--epoch', '3').stderr).toMatch(/did you mean '--epochs'/);
    expect(descent('train', '--lr', 'fast').stderr).toMatch(/--lr expects a positive number, received 'fast'/);
    expect(descent('train', '--optimizer', 'adamm').stderr).toMatch(/did you mean 'adam'/);
    expect(descent('train', '--optimizer', 'adam', '--momentum', '0.9').stderr).toMatch(/--momentum does not apply to --optimizer adam/);
    expect(descent('train', '--layers', '10-5', '--backend', 'js').stderr).toMatch(/--layers starts with 10, but the data has 64 features/);
  });

  it('takes every activation of the table, with parameters as NAME:k=v and checked ranges', () => {
    const help = descent('train', '--help').stdout;
    for (const name of ['relu', 'leaky_relu', 'elu', 'gelu', 'gelu_tanh', 'silu', 'softplus']) expect(help).toContain(name);
    for (const act of ['gelu_tanh', 'elu:alpha=0.5', 'softplus:beta=2,threshold=10']) {
      const r = descent('train', ...FAST, '--epochs', '2', '--json', '--activation', act);
      expect(r.code, `${act}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!).testAccuracy).toBeGreaterThan(0.3);
    }
    expect(descent('train', '--activation', 'elu:alhpa=1').stderr).toMatch(/--activation elu: unknown parameter 'alhpa' \(it takes alpha\)/);
    expect(descent('train', '--activation', 'softplus:beta=0').stderr).toMatch(/expected beta to be a finite number > 0, received 0/);
    expect(descent('train', '--activation', 'selu').code).toBe(2);
  });

  it('trains on the bundled digits and prints the summary and JSON epochs', () => {
    const r = descent('train', ...FAST, '--epochs', '3', '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['epoch', 'epoch', 'epoch', 'result']);
    expect(lines[3]).toMatchObject({ backend: 'js', epochs: 3, testRows: 359 });
    expect(lines[3].testAccuracy).toBeGreaterThan(0.5);
    expect(lines[3].confusion).toHaveLength(100);
    const text = descent('train', ...FAST, '--epochs', '1');
    expect(text.stdout).toMatch(/test accuracy [\d.]+%/);
    expect(text.stdout).toMatch(/true\\pred/);
    expect(text.stdout).toMatch(/samples\/s/);
  });

  it('trains on a CSV file with a named label column, and predict evaluates the saved model', () => {
    const rows = ['a,b,kind'];
    for (let i = 0; i < 300; i++) {
      const k = i % 3, a = (k - 1) * 3 + Math.sin(i), b = Math.cos(i * 7);
      rows.push(`${a.toFixed(4)},${b.toFixed(4)},${['cat', 'dog', 'eel'][k]}`);
    }
    writeFileSync(join(dir, 'toy.csv'), rows.join('\n'));
    const ckpt = join(dir, 'toy.ckpt');
    const r = descent('train', '--dataset', 'csv:toy.csv', '--label-column', 'kind', '--layers', '2-16-3', '--epochs', '40', '--lr', '0.01', '--backend', 'js', '--save', ckpt, '--json');
    expect(r.stderr).toMatch(/300|240/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).testAccuracy).toBeGreaterThan(0.9);
    const p = descent('predict', '--model', ckpt, '--input', 'toy.csv', '--json', '--output', 'pred.txt', '--backend', 'js');
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).accuracy).toBeGreaterThan(0.9);
    expect(readFileSync(join(dir, 'pred.txt'), 'utf8').trim().split('\n')).toHaveLength(300);
  });

  it('explains how to get Fashion-MNIST and MNIST when they are absent', () => {
    const f = descent('train', '--dataset', 'fashion-mnist', '--data', dir, '--backend', 'js');
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/apt-get install dataset-fashion-mnist/);
    const m = descent('train', '--dataset', 'mnist', '--backend', 'js');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--data DIR/);
  });

  it('resumes bit-identically: 4 epochs straight = 2 epochs + --resume to 4 (with scheduler and validation)', async () => {
    const common = [...FAST, '--scheduler', 'plateau', '--patience', '0', '--factor', '0.5', '--validation', '0.1', '--seed', '3'];
    const a = join(dir, 'straight.ckpt'), b = join(dir, 'resumed.ckpt');
    expect(descent('train', ...common, '--epochs', '4', '--save', a).code).toBe(0);
    expect(descent('train', ...common, '--epochs', '2', '--save', b).code).toBe(0);
    const r = descent('train', '--resume', b, '--epochs', '4', '--save', b, '--backend', 'js');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resuming .* after epoch 2/);
    await expectSameWeights(a, b);
    const changed = descent('train', '--resume', b, '--lr', '0.5');
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/--lr 0.5 differs from the checkpoint's/);
  });

  it('rejects a corrupt checkpoint with a clear message', () => {
    const good = join(dir, 'straight.ckpt'), bad = join(dir, 'bad.ckpt');
    const bytes = readFileSync(good);
    writeFileSync(bad, bytes.subarray(0, bytes.length >> 1));
    const r = descent('train', '--resume', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad.ckpt is not a usable checkpoint: .*truncated/);
    const p = descent('predict', '--model', bad, '--input', 'toy.csv');
    expect(p.code).not.toBe(0);
    expect(p.stderr).toMatch(/not a usable checkpoint/);
  });

  it('Ctrl-C saves a checkpoint mid-epoch and exits cleanly; resuming it matches an uninterrupted run', async () => {
    // Many small batches so SIGINT lands inside an epoch.
    const common = ['--backend', 'js', '--layers', '64-128-10', '--batch-size', '4', '--scheduler', 'step', '--step-size', '1', '--gamma', '0.7', '--seed', '5'];
    const straight = join(dir, 'int-straight.ckpt'), cut = join(dir, 'int-cut.ckpt');
    expect(descent('train', ...common, '--epochs', '12', '--save', straight).code).toBe(0);
    const child = spawn(process.execPath, [main, 'train', ...common, '--epochs', '12', '--save', cut], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    await new Promise<void>((resolve) =>
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (/epoch 1\/12/.test(stderr)) resolve();
      }),
    );
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/saved .*int-cut.ckpt \(epoch \d, batch \d+\); continue with: descent train --resume/);
    expect(stderr).not.toMatch(/Error|at .*\.js:\d+/);
    const r = descent('train', '--resume', cut, '--save', cut, '--backend', 'js');
    expect(r.code, r.stderr).toBe(0);
    await expectSameWeights(straight, cut);
  });
});
