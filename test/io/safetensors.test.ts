/**
 * safetensors: the format's documented examples as golden bytes; files written by PyTorch (test/fixtures/interop.py,
 * torch 1.13, every dtype) load with identical values and logits on every backend; files descent writes load in
 * PyTorch with identical values and logits (recorded by the same script); every malformed file is an ERR_FORMAT
 * naming the tensor, and a fuzzer (truncations, byte flips, huge header lengths, garbage) finds no other outcome.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  decodeCheckpoint,
  encodeCheckpoint,
  createCheckpoint,
  halfToFloat,
  Linear,
  loadSafetensors,
  readSafetensors,
  ReLU,
  Rng,
  saveSafetensors,
  Sequential,
  setBackend,
  Tanh,
  toSafetensors,
  type Backend,
} from '../../src/index.js';
import { BACKENDS, elementwise, expectClose, rng } from '../helpers.js';

const FIXTURES = new URL('../fixtures/interop/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'descent-st-'));
const enc = new TextEncoder();

/** The MLP of test/fixtures/interop.py, seeded. */
function mlp(backend: Backend, seed = 7): Sequential {
  setBackend(backend);
  const r = new Rng(seed);
  return new Sequential([new Linear(6, 8, { rng: r }), new ReLU(), new Linear(8, 5, { rng: r }), new Tanh(), new Linear(5, 3, { rng: r })]);
}

/** A file from a header text (padded to 8 with spaces unless `pad` is false) and raw data bytes. */
function craft(header: string, data: Uint8Array | number[] = [], pad = true): Uint8Array {
  let h = enc.encode(header);
  if (pad && h.length % 8) h = enc.encode(header + ' '.repeat(8 - (h.length % 8)));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  let error: (Error & { code?: string }) | null = null;
  try {
    decodeSafetensors(bytes);
  } catch (e) {
    error = e as Error & { code?: string };
  }
  expect(error, `expected rejection matching ${pattern}`).not.toBeNull();
  expect(error!.code).toBe('ERR_FORMAT');
  expect(error!.message).toMatch(pattern);
}

describe('safetensors golden bytes (the format documentation and reference implementation examples)', () => {
  it('reads the reference deserialization example: I32 [2, 2] zeros, unpadded 60-byte header', () => {
    const text = '<\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}' + '\x00'.repeat(16);
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const { tensors, dtypes, metadata } = decodeSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['test']);
    expect(tensors.test.shape).toEqual([2, 2]);
    expect(Array.from(tensors.test.data)).toEqual([0, 0, 0, 0]);
    expect(dtypes.test).toBe('I32');
    expect(metadata).toEqual({});
  });

  it("writes the reference serialization example byte for byte: F32 'attn.0' [1, 2, 3] = 0..5, no metadata", () => {
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64);
    const golden = [
      64, 0, 0, 0, 0, 0, 0, 0, // N = 64, already a multiple of 8: no padding
      ...Array.from(header, (c) => c.charCodeAt(0)),
      0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64, // 0, 1, 2, 3, 4, 5 as f32 LE
    ];
    const out = toSafetensors({ 'attn.0': { shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } }, { metadata: {} });
    expect(Array.from(out)).toEqual(golden);
    expect(Array.from(decodeSafetensors(out).tensors['attn.0'].data)).toEqual([0, 1, 2, 3, 4, 5]);
    // With metadata the header grows to 96 bytes: 95 of JSON and 1 space, so the data stays 8-byte aligned.
    const meta = toSafetensors({ 'attn.0': { shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } }, { metadata: { format: 'pt' } });
    const text = '{"__metadata__":{"format":"pt"},' + header.slice(1);
    expect(text.length).toBe(95);
    expect(Array.from(meta)).toEqual([96, 0, 0, 0, 0, 0, 0, 0, ...Array.from(text, (c) => c.charCodeAt(0)), 32, ...golden.slice(8 + 64)]);
  });

  it('converts binary16 exactly (subnormals, extremes, ±Infinity, NaN)', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x0400)).toBe(2 ** -14);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
  });
});

describe('safetensors written by PyTorch (test/fixtures/interop.py, torch 1.13)', () => {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, 'torch-files.json'), 'utf8')) as {
    x: number[]; batch: number;
    files: Record<string, { tensors: Record<string, { shape: number[]; data: number[] }>; logits?: number[] }>;
  };

  for (const [file, ref] of Object.entries(fixture.files)) {
    it(`${file}: identical values${ref.logits ? ' and logits on every backend' : ''}`, () => {
      const sd = loadSafetensors(join(FIXTURES, file));
      expect(Object.keys(sd).sort()).toEqual(Object.keys(ref.tensors).sort());
      for (const [name, t] of Object.entries(ref.tensors)) {
        expect(sd[name].shape, name).toEqual(t.shape);
        expect(Array.from(sd[name].data), name).toEqual(t.data);
      }
      if (!ref.logits) return;
      for (const backend of BACKENDS) {
        const model = mlp(backend);
        model.loadStateDict(sd);
        const logits = model.forward(Float32Array.from(fixture.x), fixture.batch);
        expectClose(logits, ref.logits, elementwise(), `${file} logits on ${backend.name}`);
        model.dispose();
      }
    });
  }

  it('reads BatchNorm1d\'s int64 num_batches_tracked scalar as 3', () => {
    const { tensors, dtypes } = readSafetensors(join(FIXTURES, 'torch-bn.safetensors'));
    expect(dtypes.num_batches_tracked).toBe('I64');
    expect(tensors.num_batches_tracked.shape).toEqual([]);
    expect(Array.from(tensors.num_batches_tracked.data)).toEqual([3]);
  });
});

describe('safetensors written by descent, read by PyTorch (recorded by test/fixtures/interop.py)', () => {
  const file = join(FIXTURES, 'descent-mlp.safetensors');
  const bytes = toSafetensors(mlp(BACKENDS[0]), { metadata: { format: 'pt', writer: 'descent' } });
  if (process.env.DESCENT_WRITE_FIXTURES === '1') writeFileSync(file, bytes);

  it('the committed file is exactly what descent writes today', () => {
    expect(existsSync(file)).toBe(true);
    expect(Buffer.from(readFileSync(file)).equals(Buffer.from(bytes)), 'rerun with DESCENT_WRITE_FIXTURES=1, then test/fixtures/interop.py').toBe(true);
  });

  it('PyTorch loaded it with load_state_dict(strict=True): identical values, identical logits on every backend', () => {
    const rec = JSON.parse(readFileSync(join(FIXTURES, 'descent-files.json'), 'utf8')) as {
      x: number[]; batch: number; files: Record<string, { sha256: string; metadata: Record<string, string>; values: Record<string, number[]>; logits: number[] }>;
    };
    const r = rec.files['descent-mlp.safetensors'];
    expect(r.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(r.metadata).toEqual({ format: 'pt', writer: 'descent' });
    for (const backend of BACKENDS) {
      const model = mlp(backend);
      const sd = model.stateDict();
      expect(Object.keys(r.values)).toEqual(Object.keys(sd));
      for (const [name, e] of Object.entries(sd)) expect(r.values[name], name).toEqual(Array.from(e.data));
      expectClose(model.forward(Float32Array.from(rec.x), rec.batch), r.logits, elementwise(), `PyTorch logits vs descent on ${backend.name}`);
      model.dispose();
    }
  });
});

describe('a BatchNorm state dict written by descent loads in torch.nn.BatchNorm1d (strict) with an int64 num_batches_tracked', () => {
  const file = join(FIXTURES, 'descent-bn.safetensors');
  const r = rng(31), c = 4;
  const vec = (f: () => number) => Float32Array.from({ length: c }, f);
  const sd = {
    '0.weight': { shape: [c], data: vec(() => 1 + 0.5 * r.normal()) },
    '0.bias': { shape: [c], data: vec(() => r.normal()) },
    '0.running_mean': { shape: [c], data: vec(() => r.normal()) },
    '0.running_var': { shape: [c], data: vec(() => 0.5 + r.uniform()) },
    '0.num_batches_tracked': { shape: [], data: new Float32Array([7]) },
  };
  const bytes = toSafetensors(sd);
  if (process.env.DESCENT_WRITE_FIXTURES === '1') writeFileSync(file, bytes);

  it('PyTorch read identical values, num_batches_tracked as torch.int64, and normalised with them', () => {
    expect(Buffer.from(readFileSync(file)).equals(Buffer.from(bytes)), 'rerun with DESCENT_WRITE_FIXTURES=1, then test/fixtures/interop.py').toBe(true);
    const rec = JSON.parse(readFileSync(join(FIXTURES, 'descent-files.json'), 'utf8')) as {
      x: number[]; files: Record<string, { sha256: string; dtypes: Record<string, string>; values: Record<string, number[]>; logits: number[] }>;
    };
    const t = rec.files['descent-bn.safetensors'];
    expect(t.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(t.dtypes['0.num_batches_tracked']).toBe('torch.int64');
    for (const [name, e] of Object.entries(sd)) expect(t.values[name], name).toEqual(Array.from(e.data));
    // Eval-mode batch norm in float64 on the same 4 × 4 inputs (the first 4 features of the recorded x).
    const ref: number[] = [];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < c; j++) {
        const xv = Math.fround(rec.x[i * 6 + j]);
        ref.push(((xv - sd['0.running_mean'].data[j]) / Math.sqrt(sd['0.running_var'].data[j] + 1e-5)) * sd['0.weight'].data[j] + sd['0.bias'].data[j]);
      }
    }
    expectClose(t.logits, ref, elementwise(), 'PyTorch BatchNorm1d eval output');
  });
});

describe('safetensors round trips', () => {
  it('model → file → model is exact, with metadata, and writes num_batches_tracked as an int64 scalar', () => {
    const model = mlp(BACKENDS[0]);
    const path = join(dir, 'm.safetensors');
    saveSafetensors(model, path, { metadata: { epoch: '3' } });
    const { tensors, metadata, dtypes } = readSafetensors(path);
    expect(metadata).toEqual({ epoch: '3' });
    const other = mlp(BACKENDS[0], 99);
    other.loadStateDict(loadSafetensors(path));
    for (const [name, e] of Object.entries(model.stateDict())) {
      expect(Array.from(tensors[name].data)).toEqual(Array.from(e.data));
      expect(Array.from(other.stateDict()[name].data)).toEqual(Array.from(e.data));
      expect(dtypes[name]).toBe('F32');
    }
    const bn = readSafetensors(toSafetensors({ '1.num_batches_tracked': { shape: [], data: [7] }, '1.running_mean': { shape: [2], data: [0.5, -1] } }));
    expect(bn.dtypes).toEqual({ '1.num_batches_tracked': 'I64', '1.running_mean': 'F32' });
    expect(Array.from(bn.tensors['1.num_batches_tracked'].data)).toEqual([7]);
    expect(bn.metadata).toEqual({ format: 'pt' });
    expect(() => toSafetensors({ num_batches_tracked: { shape: [], data: [1.5] } })).toThrow(expect.objectContaining({ code: 'ERR_STATE' }));
  });

  it('F32 data is a zero-copy view when aligned and a copy when not', () => {
    const bytes = toSafetensors({ a: { shape: [3], data: [1, 2, 3] } });
    const aligned = decodeSafetensors(bytes).tensors.a.data;
    expect(aligned.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const misaligned = decodeSafetensors(shifted.subarray(1)).tensors.a.data;
    expect(misaligned.buffer).not.toBe(shifted.buffer);
    expect(Array.from(misaligned)).toEqual([1, 2, 3]);
  });

  it('writer options are checked', () => {
    const sd = { a: { shape: [1], data: [1] } };
    expect(() => toSafetensors(sd, { metadata: { n: 3 as unknown as string } })).toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: expect.stringMatching(/metadata\.n/) }));
    expect(() => toSafetensors(sd, { meta: {} } as never)).toThrow(/unknown option 'meta'.*known options: metadata/);
    expect(() => toSafetensors({ a: { shape: [2], data: [1] } })).toThrow(/a has 1 values, its shape \[2\] needs 2/);
    expect(() => toSafetensors({ __metadata__: { shape: [1], data: [1] } })).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
  });
});

describe('JSON traps fixed', () => {
  it('JSON.stringify(model.stateDict()) writes number arrays, and loadStateDict reads them back exactly', () => {
    const model = mlp(BACKENDS[0]);
    const json = JSON.stringify(model.stateDict());
    const parsed = JSON.parse(json) as Record<string, { shape: number[]; data: unknown }>;
    expect(Array.isArray(parsed['0.weight'].data)).toBe(true);
    expect(parsed['0.weight'].shape).toEqual([8, 6]);
    const other = mlp(BACKENDS[0], 42);
    other.loadStateDict(JSON.parse(json));
    for (const [name, e] of Object.entries(model.stateDict())) expect(other.stateDict()[name].data).toEqual(e.data);
    // Object.keys and spreads do not see toJSON.
    expect(Object.keys(model.stateDict()['0.bias'])).toEqual(['shape', 'data']);
  });

  it('plain arrays are validated: non-numbers are ERR_DTYPE, wrong lengths ERR_SHAPE, and nothing is half-loaded', () => {
    const model = mlp(BACKENDS[0]);
    const before = model.stateDict();
    const sd = JSON.parse(JSON.stringify(before)) as Record<string, { shape: number[]; data: unknown[] }>;
    sd['4.bias'].data[1] = 'x';
    expect(() => model.loadStateDict(sd as never)).toThrow(expect.objectContaining({ code: 'ERR_DTYPE', message: expect.stringMatching(/4\.bias\.data\[1\]/) }));
    sd['4.bias'].data = [1, 2];
    expect(() => model.loadStateDict(sd as never)).toThrow(expect.objectContaining({ code: 'ERR_SHAPE', message: expect.stringMatching(/4\.bias\.data/) }));
    for (const [name, e] of Object.entries(model.stateDict())) expect(e.data, name).toEqual(before[name].data);
  });

  it('checkpoints still store state-dict tensors in their binary section', () => {
    const model = mlp(BACKENDS[0]);
    const bytes = encodeCheckpoint(createCheckpoint({ model }));
    const text = new TextDecoder().decode(bytes.subarray(32, 32 + 4096));
    expect(text).toContain('"$f32"');
    const back = decodeCheckpoint(bytes);
    expect(back.model['0.weight'].data).toBeInstanceOf(Float32Array);
    expect(back.model['0.weight'].data).toEqual(model.stateDict()['0.weight'].data);
  });
});

describe('safetensors reader rejects malformed files with ERR_FORMAT naming the tensor', () => {
  const w = '{"dtype":"F32","shape":[2],"data_offsets":';
  const eight = new Uint8Array(8);

  it('header length, encoding and syntax', () => {
    rejects(new Uint8Array(5), /5 bytes is shorter than the 8-byte header length/);
    const big = craft('{}');
    new DataView(big.buffer).setBigUint64(0, 1000n, true);
    rejects(big, /header length 1000 runs past the end of the file/);
    new DataView(big.buffer).setBigUint64(0, 100_000_001n, true);
    rejects(big, /header length 100000001 is above the 100 MB limit/);
    new DataView(big.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    rejects(big, /above the 100 MB limit/);
    rejects(craft(' {}'), /does not start with '\{'/);
    rejects(craft('[]'), /does not start with '\{'/);
    rejects(craft('{"a":1'), /not valid JSON/);
    const badUtf8 = craft('{"a\u00e9":1}');
    badUtf8[12] = 0xff;
    rejects(badUtf8, /not valid UTF-8/);
  });

  it('entries: dtype, shape, offsets, duplicates, metadata', () => {
    rejects(craft('{"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', eight), /tensor 't' has unknown dtype "F33"/);
    rejects(craft('{"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}', eight), /tensor 't' has dtype "U8", which descent does not read/);
    rejects(craft('{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', eight), /tensor 't' has shape \[-2\]/);
    rejects(craft('{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', eight), /tensor 't' has data_offsets \[8,0\]/);
    rejects(craft('{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}', eight), /tensor 't' has unknown field 'x'/);
    rejects(craft(`{"t":${w}[0,8]},"t":${w}[0,8]}}`, eight), /names 't' twice/);
    rejects(craft(`{"__metadata__":{"a":1},"t":${w}[0,8]}}`, eight), /__metadata__ 'a' is not a string/);
    rejects(craft(`{"t":${w}[0,8]},"u":${w}[4,12]}}`, new Uint8Array(12)), /tensor 'u' overlaps tensor 't'/);
    rejects(craft(`{"t":${w}[0,8]},"u":${w}[12,20]}}`, new Uint8Array(20)), /tensor 'u' leaves a gap of 4 bytes before it/);
    rejects(craft(`{"t":${w}[4,12]}}`, new Uint8Array(12)), /tensor 't' leaves a gap of 4 bytes before it \(starts at 4, expected 0\)/);
    rejects(craft(`{"t":${w}[0,16]}}`, eight), /tensor 't' ends at byte 16, past the 8 bytes of data/);
    rejects(craft(`{"t":${w}[0,12]}}`, new Uint8Array(12)), /tensor 't' holds 12 bytes, its shape \[2\] of F32 needs 8/);
    rejects(craft(`{"t":${w}[0,8]}}`, new Uint8Array(9)), /1 trailing bytes after the last tensor/);
    rejects(craft('{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}', eight), /tensor 't' holds 8 bytes/);
    // Duplicate detection is not fooled by keys inside strings or nested objects.
    const ok = decodeSafetensors(craft(`{"__metadata__":{"t":"\\"t\\":"},"t":${w}[0,8]}}`, eight));
    expect(ok.metadata).toEqual({ t: '"t":' });
  });

  it('fuzz: truncations, byte flips, huge header lengths and garbage are rejected or read within the file size', () => {
    const valid = toSafetensors(mlp(BACKENDS[0]), { metadata: { note: 'fuzz' } });
    const r = rng(2024);
    let rejected = 0, accepted = 0;
    const check = (bytes: Uint8Array, mustReject: boolean) => {
      try {
        const { tensors } = decodeSafetensors(bytes);
        const total = Object.values(tensors).reduce((s, t) => s + t.data.byteLength, 0);
        expect(total).toBeLessThanOrEqual(2 * bytes.length);
        expect(mustReject, 'a corrupt file was accepted').toBe(false);
        accepted++;
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_FORMAT') throw e;
        rejected++;
      }
    };
    for (let len = 0; len < valid.length; len++) check(valid.subarray(0, len), true);
    for (let i = 0; i < 3000; i++) {
      const bytes = valid.slice();
      const flips = 1 + Math.floor(r.uniform() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(r.uniform() * bytes.length)] = Math.floor(r.uniform() * 256);
      check(bytes, false);
    }
    for (let i = 0; i < 200; i++) {
      const bytes = valid.slice();
      // Any other header length cuts the JSON or shifts the data: always a rejection, never an allocation of N.
      const view = new DataView(bytes.buffer);
      view.setBigUint64(0, view.getBigUint64(0, true) + 1n + BigInt(Math.floor(r.uniform() * 2 ** 52)) * BigInt(Math.floor(r.uniform() * 4096)), true);
      check(bytes, true);
      const garbage = new Uint8Array(Math.floor(r.uniform() * 200));
      for (let j = 0; j < garbage.length; j++) garbage[j] = Math.floor(r.uniform() * 256);
      check(garbage, true);
    }
    expect(rejected).toBeGreaterThan(3000);
    expect(accepted).toBeGreaterThan(100);
  });

  it('a file that cannot be read is ERR_STATE naming the path', () => {
    expect(() => loadSafetensors(join(dir, 'missing.safetensors'))).toThrow(expect.objectContaining({ code: 'ERR_STATE', message: expect.stringMatching(/missing\.safetensors/) }));
    expect(() => loadSafetensors(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
  });
});
