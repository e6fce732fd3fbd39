/**
 * One seeded case of the file-reader fuzzer: a valid checkpoint, IDX pair or CSV text, then a mutation
 * (truncation, byte flips, huge declared sizes, crafted JSON with a recomputed checksum, hostile cells). The
 * reader must either throw an error with a descent code or return data that holds together (checkpoints then
 * restore or are rejected without changing the model; IDX and CSV values are finite, labels within the classes,
 * classes within the cap).
 */
import { gzipSync } from 'node:zlib';
import { ERROR_CODES, jsBackend, Linear, manualSeed, ReLU, Rng, Sequential, setBackend, SGD, StepLR } from '../src/index.js';
import { crc32, createCheckpoint, decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../src/checkpoint.js';
import { parseCsv } from '../src/data/csv.js';
import { gunzipBounded, idxDataset, MAX_CLASSES, parseIdx } from '../src/data/idx.js';
import { Draw } from './values.js';

export interface ReaderOutcome {
  seed: number;
  reader: 'checkpoint' | 'idx' | 'csv';
  code: string | null;
  problems: string[];
}

function codeOf(error: unknown, what: string, problems: string[]): string {
  const e = error as Error & { code?: unknown };
  if ((ERROR_CODES as readonly unknown[]).includes(e?.code)) return e.code as string;
  problems.push(`${what}: error without a descent code: ${e?.name}: ${e?.message ?? String(error)}`);
  return 'UNCODED';
}

/** Rewrites the checksum so a mutation of the JSON part reaches the parser. */
function reseal(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(12, crc32(bytes.subarray(32)), true);
  return bytes;
}

function mutateBytes(d: Draw, bytes: Uint8Array, headerEnd: number): Uint8Array {
  switch (d.int(4)) {
    case 0:
      return bytes.slice(0, d.int(bytes.length));
    case 1: {
      const out = bytes.slice();
      for (let i = 1 + d.int(4); i > 0; i--) out[d.int(out.length)] ^= 1 << d.int(8);
      return out;
    }
    case 2: {
      const out = bytes.slice();
      // A header field declaring something huge.
      const at = d.int(Math.max(1, headerEnd - 3));
      out.set([0xff, 0xff, 0xff, d.pick([0x7f, 0xff, 0x01])], at);
      return out;
    }
    default: {
      const out = new Uint8Array(bytes.length + 1 + d.int(16));
      out.set(bytes);
      return out;
    }
  }
}

function checkpointCase(d: Draw, seed: number): ReaderOutcome {
  setBackend(jsBackend);
  manualSeed(seed);
  const problems: string[] = [];
  const make = () => new Sequential([new Linear(3, 4), new ReLU(), new Linear(4, 2)]);
  const model = make(), optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), rng = new Rng(seed);
  const scheduler = new StepLR(optimizer, { stepSize: 2 });
  optimizer.step();
  const valid = encodeCheckpoint(createCheckpoint({ model, optimizer, scheduler, rng, epoch: 2, config: { layers: [3, 4, 2] } }));
  let bytes: Uint8Array;
  if (d.chance(0.6)) {
    // Crafted JSON with a valid checksum: replace one value somewhere in the JSON part.
    const jsonLength = Number(new DataView(valid.buffer).getBigUint64(16, true));
    const text = new TextDecoder().decode(valid.subarray(32, 32 + jsonLength));
    const json = JSON.parse(text) as unknown;
    const paths: { parent: Record<string, unknown>; key: string }[] = [];
    const walk = (v: unknown) => {
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) (paths.push({ parent: v as Record<string, unknown>, key: k }), walk(c));
    };
    walk(json);
    const { parent, key } = d.pick(paths);
    parent[key] = d.pick([null, 'x', true, 1.5, [d.int(1000) * 4, 2 ** 40], { $f32: d.pick([5, 'x', [1], null]) }, { $num: 'NaN' }, -1, 1e9, [], {}]);
    const edited = new TextEncoder().encode(JSON.stringify(json) ?? 'null');
    const padded = Math.ceil(edited.length / 8) * 8, tensorsAt = 32 + Math.ceil(jsonLength / 8) * 8;
    const tensors = valid.subarray(tensorsAt);
    bytes = new Uint8Array(32 + padded + tensors.length);
    bytes.set(valid.subarray(0, 32));
    const view = new DataView(bytes.buffer);
    view.setBigUint64(16, BigInt(edited.length), true);
    bytes.set(edited, 32);
    bytes.set(tensors, 32 + padded);
    reseal(bytes);
  } else {
    bytes = mutateBytes(d, valid, 32);
    if (d.chance(0.3) && bytes.length >= 32) reseal(bytes);
  }
  let code: string | null = null;
  try {
    const c = decodeCheckpoint(bytes, 'fuzzed');
    const target = make(), targetOpt = new SGD(target.parameters(), { lr: 0.1, momentum: 0.9 }), targetRng = new Rng(1);
    const targetSched = new StepLR(targetOpt, { stepSize: 2 });
    const before = JSON.stringify(Object.values(target.stateDict()).map((e) => Array.from(e.data)));
    try {
      restoreCheckpoint(c, { model: target, optimizer: targetOpt, scheduler: targetSched, rng: targetRng });
      for (const e of Object.values(target.stateDict())) if (!e.data.every(Number.isFinite)) problems.push('checkpoint: restored non-finite weights');
      const y = target.forward(Float32Array.of(1, 2, 3));
      if (y.length !== 2) problems.push('checkpoint: restored model gives the wrong output size');
      targetOpt.step();
      targetRng.uniform();
    } catch (error) {
      code = codeOf(error, 'restoreCheckpoint', problems);
      const after = JSON.stringify(Object.values(target.stateDict()).map((e) => Array.from(e.data)));
      if (after !== before) problems.push(`restoreCheckpoint: a rejected checkpoint (${code}) changed the model`);
    }
  } catch (error) {
    code = codeOf(error, 'decodeCheckpoint', problems);
  }
  return { seed, reader: 'checkpoint', code, problems };
}

function idx(type: number, dims: number[], values: number[]): Uint8Array {
  const size = type === 0x08 ? 1 : 4;
  const out = new Uint8Array(4 + 4 * dims.length + size * values.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  values.forEach((v, i) => (size === 1 ? (out[4 + 4 * dims.length + i] = v) : view.setInt32(4 + 4 * dims.length + 4 * i, v, false)));
  return out;
}

function idxCase(d: Draw, seed: number): ReaderOutcome {
  const problems: string[] = [];
  const n = 1 + d.int(4);
  let images = idx(0x08, [n, 2, 3], Array.from({ length: n * 6 }, () => d.int(256)));
  let labels = idx(d.chance(0.5) ? 0x08 : 0x0c, [n], Array.from({ length: n }, () => d.int(10)));
  if (d.chance(0.5)) images = mutateBytes(d, images, 16);
  else labels = mutateBytes(d, labels, 8);
  let code: string | null = null;
  try {
    let imageBytes = images;
    if (d.chance(0.25)) {
      // gzip, sometimes with a trailer that lies about the size.
      const gz = gzipSync(images);
      if (d.chance(0.5)) new DataView(gz.buffer, gz.byteOffset).setUint32(gz.length - 4, d.int(8), true);
      imageBytes = gunzipBounded(gz, 'fuzzed.gz');
    }
    const a = parseIdx(imageBytes, 'images'), b = parseIdx(labels, 'labels');
    const count = a.dims.reduce((p, q) => p * q, 1);
    if (a.data.length !== count) problems.push('parseIdx: data length does not match the dimensions');
    const data = idxDataset(a, b, 'images', 'labels');
    if (data.classes > MAX_CLASSES) problems.push(`idxDataset: ${data.classes} classes`);
    if (!data.y.every((v) => v >= 0 && v < data.classes)) problems.push('idxDataset: a label outside [0, classes)');
    if (!data.x.every(Number.isFinite)) problems.push('idxDataset: non-finite pixels');
  } catch (error) {
    code = codeOf(error, 'IDX', problems);
  }
  return { seed, reader: 'idx', code, problems };
}

function csvCase(d: Draw, seed: number): ReaderOutcome {
  const problems: string[] = [];
  const rows = 1 + d.int(5), cols = 2 + d.int(3);
  const lines = [Array.from({ length: cols }, (_, j) => (j === cols - 1 ? 'label' : `f${j}`)).join(',')];
  for (let i = 0; i < rows; i++) lines.push(Array.from({ length: cols }, (_, j) => (j === cols - 1 ? String(d.int(3)) : d.r.normal().toFixed(3))).join(','));
  let text = lines.join('\n');
  for (let k = 1 + d.int(3); k > 0; k--) {
    const at = d.int(text.length + 1);
    const insert = d.pick(['1e39', '-1e400', '4294967296', '1000000', '65536', 'NaN', 'Infinity', '"', '""', ',', ';', '\t', '\n', '\r\n', '', 'x', '-', '0x10', ' ', '\u0000', '9'.repeat(40)]);
    text = d.chance(0.3) ? text.slice(0, at) + text.slice(at + 1 + d.int(4)) : text.slice(0, at) + insert + text.slice(at);
  }
  let code: string | null = null;
  try {
    const options = d.chance(0.7) ? {} : { label: d.pick(['first', 'last', 0, 7, 'label', 'nope'] as const), header: d.pick([true, false, 'auto'] as const) };
    const data = parseCsv(text, options, 'fuzzed.csv');
    if (data.x.length !== data.count * data.features) problems.push('parseCsv: x length does not match count × features');
    if (!data.x.every(Number.isFinite)) problems.push('parseCsv: non-finite features');
    if (data.classes > MAX_CLASSES) problems.push(`parseCsv: ${data.classes} classes`);
    if (!data.y.every((v) => v >= 0 && v < data.classes)) problems.push('parseCsv: a label outside [0, classes)');
  } catch (error) {
    code = codeOf(error, 'parseCsv', problems);
  }
  return { seed, reader: 'csv', code, problems };
}

export function readerCase(seed: number): ReaderOutcome {
  const d = new Draw(seed ^ 0x5bd1e995);
  const which = d.int(3);
  return which === 0 ? checkpointCase(d, seed) : which === 1 ? idxCase(d, seed) : csvCase(d, seed);
}
