/**
 * Issue 12, defects 7, 8 (files) and 11: small untrusted inputs cannot drive huge allocations (gzip bombs, absurd
 * class counts), CSV values are checked against float32 and int32, crafted checkpoints with a valid CRC get coded
 * errors, and checkpoint temporary files are exclusive, private, unpredictable and cleaned up.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { jsBackend, Linear, ReLU, Rng, Sequential, setBackend, SGD } from '../../src/index.js';
import { crc32, createCheckpoint, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../src/checkpoint.js';
import { loadCsv, parseCsv } from '../../src/data/csv.js';
import { idxDataset, loadIdx, parseIdx } from '../../src/data/idx.js';
import { expectCode, weightBytes } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'descent-files-'));

/** Checkpoint bytes whose JSON part is `json` (no tensors), with a valid length and CRC. */
function crafted(json: string): Uint8Array {
  const text = new TextEncoder().encode(json);
  const padded = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(32 + padded);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('DSCNTCKP'));
  view.setUint32(8, 1, true);
  view.setBigUint64(16, BigInt(text.length), true);
  view.setBigUint64(24, 0n, true);
  out.set(text, 32);
  view.setUint32(12, crc32(out.subarray(32)), true);
  return out;
}

describe('gzip and data readers', () => {
  it('caps gzip inflation at what the trailer declares', () => {
    const big = gzipSync(new Uint8Array(8 << 20));
    const lying = Uint8Array.from(big);
    new DataView(lying.buffer).setUint32(lying.length - 4, 100, true);
    const file = join(dir, 'bomb.idx.gz');
    writeFileSync(file, lying);
    expectCode(() => loadIdx(file), 'ERR_DATA', /inflates beyond the 100 bytes/);
    const ok = join(dir, 'ok.idx.gz');
    const idx = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9);
    writeFileSync(ok, gzipSync(idx));
    expect(Array.from(loadIdx(ok).data)).toEqual([7, 8, 9]);
  });

  it('a CSV label of 1,000,000 or beyond int32 is a clear ERR_DATA, not a 129M-parameter model', () => {
    expectCode(() => parseCsv('a,b,label\n1,2,0\n3,4,1000000\n'), 'ERR_DATA', /1000000/);
    expectCode(() => parseCsv('a,b,label\n1,2,0\n3,4,4294967297\n'), 'ERR_DATA', /4294967297/);
    expect(parseCsv('a,b,label\n1,2,0\n3,4,9\n').classes).toBe(10);
  });

  it('CSV features beyond float32 are rejected instead of becoming Infinity', () => {
    expectCode(() => parseCsv('a,b,label\n1,2,0\n3,4e38,1\n'), 'ERR_DATA', /4e38/);
    expect(parseCsv('a,b,label\n1,2,0\n3,3e38,1\n').x[3]).toBeCloseTo(3e38, -33);
    expectCode(() => parseCsv(42 as never), 'ERR_DTYPE');
  });

  it('IDX labels declaring more classes than the cap are rejected; a missing file is ERR_IO', () => {
    const images = parseIdx(Uint8Array.of(0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 5, 6));
    const labels = parseIdx(Uint8Array.of(0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff));
    expectCode(() => idxDataset(images, labels), 'ERR_DATA', /classes/);
    expectCode(() => loadCsv(join(dir, 'absent.csv')), 'ERR_IO', /absent\.csv/);
  });
});

describe('crafted checkpoints (valid CRC)', () => {
  it('malformed tensor references, deep JSON and wrong structure give ERR_STATE', () => {
    expectCode(() => decodeCheckpoint(crafted('{"model":{"w":{"shape":[1],"data":{"$f32":5}}},"epoch":0}')), 'ERR_STATE', /tensor reference/);
    expectCode(() => decodeCheckpoint(crafted('{"model":{"w":{"shape":[1],"data":{"$f32":["a",1]}}},"epoch":0}')), 'ERR_STATE', /tensor reference/);
    expectCode(() => decodeCheckpoint(crafted(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)), 'ERR_STATE', /cannot be parsed|not an object/);
    expectCode(() => decodeCheckpoint(crafted('{"model":{"w":{"shape":[2],"data":[1,2]}},"epoch":0}')), 'ERR_STATE', /model entry w/);
    expectCode(() => decodeCheckpoint(crafted('{"model":{},"epoch":-1}')), 'ERR_STATE', /epoch/);
    expectCode(() => decodeCheckpoint(crafted('{"model":{},"epoch":0,"inputShape":[0]}')), 'ERR_STATE', /inputShape/);
  });

  it('a broken generator state in a checkpoint is rejected and rolls everything back', () => {
    setBackend(jsBackend);
    const model = new Sequential([new Linear(2, 3), new ReLU(), new Linear(3, 2)]);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const rng = new Rng(5);
    const c = createCheckpoint({ model, optimizer, rng });
    const other = new Sequential([new Linear(2, 3), new ReLU(), new Linear(3, 2)]);
    const before = weightBytes(other), rngBefore = JSON.stringify(rng.getState());
    const target = new Rng(9);
    const targetBefore = JSON.stringify(target.getState());
    for (const bad of [{ s: [0, 0, 0, 0], spare: null }, { s: [1, 2, 3], spare: null }, { s: [1, 2, 3, 'x'], spare: null }, { s: [1, 2, 3, 4], spare: 'x' }]) {
      const withBad = { ...decodeCheckpoint(encodeCheckpoint(c)), rng: bad as never };
      expectCode(() => restoreCheckpoint(withBad, { model: other, optimizer: new SGD(other.parameters()), rng: target }), 'ERR_STATE', /Rng\.setState/);
      expect(weightBytes(other)).toBe(before);
      expect(JSON.stringify(target.getState())).toBe(targetBefore);
    }
    expect(JSON.stringify(rng.getState())).toBe(rngBefore);
  });
});

describe('checkpoint files', () => {
  it('never follows a planted symlink, uses a private random temporary file, and removes stale ones', () => {
    setBackend(jsBackend);
    const model = new Sequential([new Linear(2, 2)]);
    const file = join(dir, 'safe.ckpt');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    // The old predictable names: .<name>.tmp-<pid>, for this pid and for a dead one.
    symlinkSync(victim, join(dir, `.safe.ckpt.tmp-${process.pid}`));
    writeFileSync(join(dir, '.safe.ckpt.tmp-999999999-deadbeef'), 'half a save');
    saveCheckpoint(file, { model, epoch: 1 });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(victim).isSymbolicLink()).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('.safe.ckpt.tmp-'))).toEqual([]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadCheckpoint(file).epoch).toBe(1);
  });

  it('refuses to write non-finite weights over a good checkpoint (ERR_NONFINITE) unless allowed', () => {
    setBackend(jsBackend);
    const model = new Sequential([new Linear(2, 2)]);
    const file = join(dir, 'good.ckpt');
    saveCheckpoint(file, { model, epoch: 1 });
    const good = readFileSync(file);
    model.parameters()[0].data[1] = NaN;
    expectCode(() => saveCheckpoint(file, { model, epoch: 2 }), 'ERR_NONFINITE', /0\.weight holds NaN/);
    expect(readFileSync(file).equals(good)).toBe(true);
    saveCheckpoint(join(dir, 'diverged.ckpt'), { model, epoch: 2 }, { allowNonFinite: true });
    expect(existsSync(join(dir, 'diverged.ckpt'))).toBe(true);
  });

  it('records the backend and its determinism guarantee', () => {
    setBackend(jsBackend);
    const model = new Sequential([new Linear(2, 2)]);
    const c = decodeCheckpoint(encodeCheckpoint(createCheckpoint({ model })));
    expect(c.backend?.name).toBe('js');
    expect(c.backend?.determinism).toMatch(/bit-identical/);
  });
});
