/**
 * Issue 12, defects 7, 10 and 12 through the CLI (spawned from dist/: build first): a diverging run exits non-zero
 * with ERR_NONFINITE's message and never replaces a good checkpoint with a non-finite one; --resume continues on
 * the backend recorded in the checkpoint and says so; a checkpoint whose tensors contradict its configuration is
 * refused before any model is built.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'descent-rel-cli-'));
const FAST = ['--limit', '300', '--layers', '64-16-10', '--batch-size', '32'];

function descent(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -p tsconfig.json)`);
});

describe('descent train, reliably', () => {
  it('a diverging run (sgd --lr 1e30) stops with a non-zero exit naming the divergence, and keeps the good checkpoint', async () => {
    const ckpt = join(dir, 'run.ckpt');
    const good = descent('train', ...FAST, '--backend', 'js', '--epochs', '1', '--save', ckpt);
    expect(good.code, good.stderr).toBe(0);
    const before = readFileSync(ckpt);
    const bad = descent('train', ...FAST, '--backend', 'js', '--epochs', '2', '--optimizer', 'sgd', '--lr', '1e30', '--save', ckpt);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/the loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+; first non-finite/);
    expect(readFileSync(ckpt).equals(before)).toBe(true);
  });

  it('--resume continues on the recorded backend and says so; another --backend is allowed with a warning', () => {
    const ckpt = join(dir, 'wasm.ckpt');
    const first = descent('train', ...FAST, '--backend', 'wasm', '--epochs', '1', '--save', ckpt);
    expect(first.code, first.stderr).toBe(0);
    const resumed = descent('train', '--resume', ckpt, '--epochs', '2');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming on the wasm backend/);
    expect(`${resumed.stdout}${resumed.stderr}`).toMatch(/backend:? wasm/);
    const other = descent('train', '--resume', ckpt, '--epochs', '2', '--backend', 'js');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toMatch(/trained on the wasm backend; continuing on --backend js is not bit-identical/);
  });

  it('refuses a checkpoint whose tensors contradict its configured layers before building anything', async () => {
    const ckpt = join(dir, 'small.ckpt');
    expect(descent('train', ...FAST, '--backend', 'js', '--epochs', '1', '--save', ckpt).code).toBe(0);
    const { decodeCheckpoint, encodeCheckpoint } = await import(join(root, 'dist/src/checkpoint.js'));
    const c = decodeCheckpoint(readFileSync(ckpt));
    c.config.layers = [64, 4_000_000, 10];
    const crafted = join(dir, 'crafted.ckpt');
    writeFileSync(crafted, encodeCheckpoint(c));
    for (const r of [descent('train', '--resume', crafted, '--epochs', '3'), descent('predict', '--model', crafted, '--input', join(root, 'test/fixtures/iris.csv'))]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/tensor 0\.weight has shape \[16, 64\], but its configuration \(layers 64-4000000-10\) needs \[4000000, 64\]/);
    }
  });
});
