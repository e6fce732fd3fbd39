/**
 * `descent export --onnx`: a checkpoint of `descent train` (bundled digits, js backend, one epoch) exported as ONNX
 * runs in onnxruntime-node with descent's logits to 1e-5. Spawned from dist/ like the other CLI tests (build first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { jsBackend, loadCheckpoint, setBackend, Rng } from '../../src/index.js';
import { buildModel, type TrainConfig } from '../../src/cli/train.js';
import { expectClose, uniform } from '../helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'descent-export-'));

function descent(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('descent export', () => {
  it('writes a trained checkpoint as ONNX that onnxruntime runs with descent\'s logits', async () => {
    expect(existsSync(main), 'build first').toBe(true);
    const ckpt = join(dir, 'run.ckpt'), onnx = join(dir, 'model.onnx');
    expect(descent('train', '--backend', 'js', '--limit', '300', '--layers', '64-16-10', '--epochs', '1', '--save', ckpt).code).toBe(0);
    const r = descent('export', '--onnx', onnx, '--model', ckpt);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*model\.onnx: input 'input' \[batch, 64\] → output 'output' \[batch, 10\]/);
    const c = loadCheckpoint(ckpt);
    setBackend(jsBackend);
    const model = buildModel(c.config as unknown as TrainConfig);
    model.loadStateDict(c.model);
    const x = uniform(new Rng(3), 4 * 64, 0, 1);
    const session = await ort.InferenceSession.create(readFileSync(onnx));
    const got = (await session.run({ input: new ort.Tensor('float32', x, [4, 64]) })).output.data as Float32Array;
    expectClose(got, model.forward(x, 4), (_i, ref) => 1e-5 * Math.max(1, Math.abs(ref)), 'ONNX vs descent logits');
  });

  it('explains missing flags with exit code 2', () => {
    const r = descent('export', '--model', 'x.ckpt');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--onnx FILE is required/);
    expect(descent('export', '--onx', 'a').stderr).toMatch(/did you mean '--onnx'/);
  });
});
