/**
 * The README's "Moving models between descent and PyTorch / ONNX" example runs as written: its TypeScript block
 * is extracted, pointed at the sources instead of the package name, and run in a temporary directory; the files it
 * writes must load, and the two logits it prints must agree.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadSafetensors, readSafetensors } from '../../src/index.js';
import { expectClose } from '../helpers.js';

const root = new URL('../..', import.meta.url).pathname;

function section(title: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`## ${title}\n`);
  expect(start, `README section '${title}'`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README', () => {
  it("'Moving models between descent and PyTorch / ONNX' runs and its files load", async () => {
    const blocks = [...section('Moving models between descent and PyTorch / ONNX').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), 'descent-readme-'));
    const file = join(dir, 'example.ts');
    const code = blocks[0].replace(/from 'descent-nn\/onnx'/g, `from '${join(root, 'src/io/onnx.ts')}'`).replace(/from 'descent-nn'/g, `from '${join(root, 'src/index.ts')}'`);
    expect(code).not.toMatch(/descent-nn/);
    writeFileSync(file, code);
    const printed: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await import(file);
    } finally {
      process.chdir(cwd);
      log.mockRestore();
    }
    for (const f of ['model.safetensors', 'run.safetensors', 'model.onnx']) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(Object.keys(loadSafetensors(join(dir, 'model.safetensors')))).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const run = readSafetensors(join(dir, 'run.safetensors'));
    expect(run.metadata.epoch).toBe('1');
    expect(JSON.parse(run.metadata.optimizer).class).toBe('Adam');
    expect(printed).toHaveLength(1);
    const [onnx, descent] = printed[0] as [Float32Array, Float32Array];
    expect(onnx.length).toBe(6);
    expectClose(onnx, descent, (_i, r) => 1e-5 * Math.max(1, Math.abs(r)), 'README ONNX vs descent logits');
  });
});
