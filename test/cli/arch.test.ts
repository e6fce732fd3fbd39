/**
 * `descent train --arch` and the conv lab commands as a user runs them (spawned from dist/; build first). The
 * bundled 8×8 digits load as [1, 8, 8] images, so a small CNN trains on them in seconds.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'descent-arch-'));
const ARCH = 'conv4k3p1,bn,relu,maxpool2,flatten,fc16,relu,dropout0.2,fc10';
const FAST = ['--limit', '600', '--batch-size', '32', '--lr', '0.01'];

function descent(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function weights(file: string): Promise<Record<string, Float32Array>> {
  const { loadCheckpoint } = await import(join(root, 'dist/src/checkpoint.js'));
  return Object.fromEntries(Object.entries(loadCheckpoint(file).model).map(([k, e]) => [k, (e as { data: Float32Array }).data]));
}

describe('descent train --arch', () => {
  it('trains a CNN from the architecture syntax on [1, 8, 8] digits, saves it, predicts with it and draws its filters', () => {
    const ckpt = join(dir, 'cnn.ckpt');
    const r = descent('train', '--arch', ARCH, ...FAST, '--epochs', '3', '--backend', 'js', '--save', ckpt, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(result.testAccuracy).toBeGreaterThan(0.6);
    expect(r.stderr).toContain(`model ${ARCH} on [1,8,8]`);
    const sd = readFileSync(ckpt);
    expect(sd.length).toBeGreaterThan(0);
    const f = descent('lab', 'filters', '--model', ckpt, '--out', 'figs');
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toContain('0.weight: 4 filters of 1×3×3');
    expect(readFileSync(join(dir, 'figs', 'filters-0.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('resumes a CNN with Dropout bit-identically (masks continue from the checkpoint)', async () => {
    const a = join(dir, 'straight.ckpt'), b = join(dir, 'resumed.ckpt');
    const common = ['--arch', ARCH, ...FAST, '--backend', 'js'];
    expect(descent('train', ...common, '--epochs', '3', '--save', a).code).toBe(0);
    expect(descent('train', ...common, '--epochs', '1', '--save', b).code).toBe(0);
    const r = descent('train', '--resume', b, '--epochs', '3', '--save', b, '--backend', 'js');
    expect(r.code, r.stderr).toBe(0);
    const wa = await weights(a), wb = await weights(b);
    expect(Object.keys(wb)).toEqual(Object.keys(wa));
    expect(Object.keys(wa)).toContain('1.running_mean');
    for (const k of Object.keys(wa)) expect(Buffer.from(wb[k].buffer).equals(Buffer.from(wa[k].buffer)), `${k} differs`).toBe(true);
  });

  it('augments the training images (--augment), resumes that run bit-identically and keeps its list', async () => {
    const a = join(dir, 'aug-straight.ckpt'), b = join(dir, 'aug-resumed.ckpt'), plain = join(dir, 'aug-none.ckpt');
    const common = ['--arch', ARCH, ...FAST, '--backend', 'js'];
    expect(descent('train', ...common, '--augment', 'hflip,crop1', '--epochs', '2', '--save', a).code).toBe(0);
    expect(descent('train', ...common, '--augment', 'hflip,crop1', '--epochs', '1', '--save', b).code).toBe(0);
    expect(descent('train', ...common, '--epochs', '2', '--save', plain).code).toBe(0);
    const r = descent('train', '--resume', b, '--epochs', '2', '--save', b, '--backend', 'js');
    expect(r.code, r.stderr).toBe(0);
    const wa = await weights(a), wb = await weights(b), wn = await weights(plain);
    for (const k of Object.keys(wa)) expect(Buffer.from(wb[k].buffer).equals(Buffer.from(wa[k].buffer)), `${k} differs`).toBe(true);
    expect(Buffer.from(wn['0.weight'].buffer).equals(Buffer.from(wa['0.weight'].buffer))).toBe(false);
    const other = descent('train', '--resume', b, '--epochs', '3', '--augment', 'hflip', '--backend', 'js');
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--augment "hflip" differs from the checkpoint's "hflip,crop1"/);
    const noArch = descent('train', '--augment', 'hflip', '--epochs', '1');
    expect(noArch.code).toBe(2);
    expect(noArch.stderr).toMatch(/--augment transforms images: it needs an --arch model/);
    expect(descent('train', '--arch', ARCH, '--augment', 'hflip,rotate', '--epochs', '1').stderr).toMatch(/token 2 'rotate'/);
  });

  it('points at the bad token, refuses --arch with --layers, and names presets', () => {
    const bad = descent('train', '--arch', 'conv8k3,relu,fc10', '--epochs', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/token 3 'fc10' cannot take input of shape \[8, 6, 6\]/);
    expect(bad.stderr).toContain('                 ^^^^');
    const syntax = descent('train', '--arch', 'conv8k3,rleu');
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/token 2 'rleu': unknown layer/);
    expect(descent('train', '--arch', 'cnn', '--layers', '64-10').stderr).toMatch(/give one/);
    expect(descent('train', '--help').stdout).toMatch(/lenet5, cnn, cnn-s, 2conv/);
  });
});

describe('descent lab conv-init', () => {
  it("prints the conv rule's steady std next to C_in alone's explosion and writes the pictures", () => {
    const r = descent('lab', 'conv-init', '--depth', '4', '--size', '6', '--batch', '2', '--backend', 'js', '--out', 'ci');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('told fanIn = 144 (k²·C_in)');
    expect(r.stdout).toContain('told fanIn = 16 (C_in alone)');
    expect(existsSync(join(dir, 'ci', 'conv-init-relu-conv.svg'))).toBe(true);
    expect(existsSync(join(dir, 'ci', 'conv-init-relu-channels.svg'))).toBe(true);
  });
});
