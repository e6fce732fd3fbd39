/**
 * safetensors, the file format PyTorch users exchange weights in. Layout: an 8-byte little-endian header length
 * N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`,
 * then the tensors: contiguous, row-major, little-endian, offsets relative to the end of the header, in order with
 * no gaps and nothing after the last one. descent writes F32 (and BatchNorm's `num_batches_tracked` as an I64
 * scalar, as PyTorch stores it) and reads F32 (zero-copy when the data is 4-byte aligned), F16, BF16, F64, I64 and
 * I32, converting everything to float32 (integers exactly up to 2²⁴). Every rule is checked before any tensor
 * memory is allocated, so a corrupt or hostile file is an ERR_FORMAT naming the offending tensor and never
 * allocates more than the file holds.
 */
import { checkOptions } from '../check.js';
import { formatError, optionError, stateError } from '../errors.js';
import { fs, writeFileAtomic } from '../node.js';
import { tensorData, tensorEntry, type StateDict, type StateDictInput } from '../nn/sequential.js';

/** The dtypes descent reads; F32 is what it writes (I64 only for `num_batches_tracked`). */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32';

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };
/** Dtypes of the format that descent does not read (named in the error instead of "unknown"). */
const OTHER_DTYPES = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'C64'];
/** The reference implementation's limit on the header; larger claims are refused before anything is read. */
export const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const FORMAT = 'safetensors';

/** Options for writing a safetensors file. */
export interface SafetensorsOptions {
  /** String → string pairs stored under `__metadata__` (default `{ format: 'pt' }`, which Hugging Face tools expect; `{}` writes none). */
  metadata?: Record<string, string>;
}

/** Everything a safetensors file holds, as descent reads it. */
export interface SafetensorsContents {
  /** Every tensor as a float32 state-dict entry, in file (offset) order. */
  tensors: StateDict;
  /** The `__metadata__` pairs (empty when the file has none). */
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file before conversion to float32. */
  dtypes: Record<string, SafetensorsDtype>;
}

/** Something with PyTorch-named tensors: a `Sequential` (or anything with `stateDict()`), or a state dict. */
export type TensorSource = {
  /** The tensors by PyTorch name. */
  stateDict(): StateDict;
} | StateDictInput;

/** `num_batches_tracked` is an int64 scalar in PyTorch; its load_state_dict refuses a float32 one. */
function writtenDtype(name: string): 'F32' | 'I64' {
  return name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked') ? 'I64' : 'F32';
}

/**
 * The safetensors bytes of a model's (or a state dict's) tensors: works in browsers (download or store them).
 * @example const bytes = toSafetensors(model, { metadata: { epoch: '3' } });
 */
export function toSafetensors(source: TensorSource, options: SafetensorsOptions = {}): Uint8Array {
  const call = 'toSafetensors';
  const sd = stateDictOf(call, source);
  const metadata = checkMetadata(call, options);
  // An empty metadata object is left out, as the reference writer does with none.
  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { __metadata__: metadata } : {};
  const tensors: { dtype: 'F32' | 'I64'; data: Float32Array }[] = [];
  let offset = 0;
  for (const [name, entry] of Object.entries(sd)) {
    if (name === '__metadata__' || name.length === 0) throw optionError(call, 'tensor name', "a non-empty name other than '__metadata__'", name);
    if (!entry || typeof entry !== 'object') throw optionError(call, name, 'a { shape, data } entry', entry);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw optionError(call, `${name}.shape`, 'an array of non-negative integers', shape);
    const data = tensorData(call, `${name}.data`, entry.data);
    const numel = shape.reduce((a: number, b: number) => a * b, 1);
    if (data.length !== numel) throw stateError(call, `${name} has ${data.length} values, its shape [${shape.join(', ')}] needs ${numel}`);
    const dtype = writtenDtype(name);
    if (dtype === 'I64' && !data.every(Number.isInteger)) throw stateError(call, `${name} is stored as int64 like PyTorch's, but holds non-integers`);
    const size = numel * BYTES[dtype];
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + size] };
    tensors.push({ dtype, data });
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces pad the header so the data starts 8-byte aligned (the format's rule; F32 views need 4).
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const { dtype, data } of tensors) {
    if (dtype === 'I64') {
      for (let i = 0; i < data.length; i++, at += 8) view.setBigInt64(at, BigInt(data[i]), true);
    } else if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
      at += data.byteLength;
    } else {
      for (let i = 0; i < data.length; i++, at += 4) view.setFloat32(at, data[i], true);
    }
  }
  return out;
}

/**
 * Writes a model's (or a state dict's) tensors as a safetensors file, atomically (a temporary file, fsync,
 * rename). PyTorch reads it with `model.load_state_dict(safetensors.torch.load_file(path))`. Node only.
 * @example saveSafetensors(model, 'model.safetensors');
 */
export function saveSafetensors(source: TensorSource, file: string, options: SafetensorsOptions = {}): void {
  if (typeof file !== 'string' || file.length === 0) throw optionError('saveSafetensors', 'path', 'a file path', file);
  writeFileAtomic(file, toSafetensors(source, options));
}

/**
 * Reads a safetensors file (a path in Node, or the bytes anywhere) into a float32 state dict for
 * `model.loadStateDict`. F16, BF16, F64, I64 and I32 tensors are converted to float32 (F16 and BF16 exactly, F64
 * rounded to nearest, integers exactly up to 2²⁴); F32 tensors aligned in memory are views of the bytes, not copies.
 * @example model.loadStateDict(loadSafetensors('model.safetensors'));
 */
export function loadSafetensors(source: string | Uint8Array): StateDict {
  return readSafetensors(source, 'loadSafetensors').tensors;
}

/**
 * Reads a safetensors file's tensors, its `__metadata__` and the dtype each tensor was stored in.
 * @example const { tensors, metadata } = readSafetensors('run.safetensors');
 */
export function readSafetensors(source: string | Uint8Array, call = 'readSafetensors'): SafetensorsContents {
  if (typeof source === 'string') {
    let bytes: Uint8Array;
    try {
      bytes = fs().readFileSync(source);
    } catch (error) {
      throw stateError(call, `cannot read ${source}: ${(error as Error).message}`);
    }
    return decodeSafetensors(bytes, source, call);
  }
  if (!(source instanceof Uint8Array)) throw optionError(call, 'source', 'a file path or a Uint8Array', source);
  return decodeSafetensors(source, 'the bytes', call);
}

interface Planned {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses and checks safetensors bytes; see the module comment for the rules. */
export function decodeSafetensors(bytes: Uint8Array, source = 'the bytes', call = 'decodeSafetensors'): SafetensorsContents {
  const bad = (message: string) => formatError(call, source, FORMAT, message);
  if (bytes.length < 8) throw bad(`${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const claimed = view.getBigUint64(0, true);
  if (claimed > BigInt(MAX_HEADER_BYTES)) throw bad(`the header length ${claimed} is above the 100 MB limit`);
  const n = Number(claimed);
  if (8 + n > bytes.length) throw bad(`the header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  if (n === 0 || bytes[8] !== 0x7b) throw bad("the header does not start with '{'");
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw bad(`the header is not valid JSON (${(error as Error).message})`);
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) throw bad(`the header names '${duplicate}' twice`);

  const metadata: Record<string, string> = {};
  const planned: Planned[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!info || typeof info !== 'object' || Array.isArray(info)) throw bad('__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw bad(`__metadata__ '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    planned.push(checkEntry(name, info, bad));
  }

  // In offset order, each tensor must start where the previous one ended and hold exactly its shape's bytes.
  const dataStart = 8 + n, dataLength = bytes.length - dataStart;
  planned.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0, previous = '';
  for (const t of planned) {
    if (t.end > dataLength) throw bad(`tensor '${t.name}' ends at byte ${t.end}, past the ${dataLength} bytes of data`);
    if (t.begin < expected) throw bad(`tensor '${t.name}' overlaps tensor '${previous}' (starts at ${t.begin}, before ${expected})`);
    if (t.begin > expected) throw bad(`tensor '${t.name}' leaves a gap of ${t.begin - expected} bytes before it (starts at ${t.begin}, expected ${expected})`);
    let numel = 1;
    for (const d of t.shape) numel *= d;
    const need = numel * BYTES[t.dtype];
    if (t.end - t.begin !== need) {
      throw bad(`tensor '${t.name}' holds ${t.end - t.begin} bytes, its shape [${t.shape.join(', ')}] of ${t.dtype} needs ${need}`);
    }
    expected = t.end;
    previous = t.name;
  }
  if (expected !== dataLength) throw bad(`${dataLength - expected} trailing bytes after the last tensor`);

  const tensors: StateDict = {}, dtypes: Record<string, SafetensorsDtype> = {};
  for (const t of planned) {
    tensors[t.name] = tensorEntry(t.shape, convert(bytes, view, dataStart + t.begin, (t.end - t.begin) / BYTES[t.dtype], t.dtype));
    dtypes[t.name] = t.dtype;
  }
  return { tensors, metadata, dtypes };
}

function checkEntry(name: string, info: unknown, bad: (message: string) => Error): Planned {
  if (!info || typeof info !== 'object' || Array.isArray(info)) throw bad(`tensor '${name}' is not a { dtype, shape, data_offsets } object`);
  const { dtype, shape, data_offsets: offsets, ...rest } = info as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw bad(`tensor '${name}' has unknown field '${extra[0]}'`);
  if (typeof dtype !== 'string' || !(dtype in BYTES)) {
    const known = typeof dtype === 'string' && OTHER_DTYPES.includes(dtype);
    throw bad(`tensor '${name}' has ${known ? 'dtype' : 'unknown dtype'} ${JSON.stringify(dtype)}${known ? ', which descent does not read (F32, F16, BF16, F64, I64, I32)' : ''}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor '${name}' has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    throw bad(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with 0 ≤ begin ≤ end`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: offsets[0], end: offsets[1] };
}

/** `count` values of `dtype` at byte `at` as float32: a view when F32 and aligned on a little-endian host. */
function convert(bytes: Uint8Array, view: DataView, at: number, count: number, dtype: SafetensorsDtype): Float32Array {
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    if ((bytes.byteOffset + at) % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset + at, count);
    return new Float32Array(bytes.slice(at, at + 4 * count).buffer);
  }
  const out = new Float32Array(count);
  if (dtype === 'F32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
  else if (dtype === 'F64') for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, true);
  else if (dtype === 'I64') for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(at + 8 * i, true));
  else if (dtype === 'I32') for (let i = 0; i < count; i++) out[i] = view.getInt32(at + 4 * i, true);
  else if (dtype === 'F16') for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(at + 2 * i, true));
  else {
    // bfloat16 is the top half of a float32: shifting its bits up is exact.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(at + 2 * i, true) << 16;
  }
  return out;
}

/** IEEE 754 binary16 → number, exactly (subnormals, ±Infinity and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/**
 * The first object key that appears twice at the top level of valid JSON (JSON.parse keeps the last silently).
 * Scans strings and nesting only; the text already parsed, so no other validation is needed.
 */
function firstDuplicateKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (text[k] === ' ' || text[k] === '\n' || text[k] === '\r' || text[k] === '\t') k++;
        if (text[k] === ':') {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return null;
}

function stateDictOf(call: string, source: unknown): StateDictInput {
  if (source && typeof (source as { stateDict?: unknown }).stateDict === 'function') return (source as { stateDict(): StateDict }).stateDict();
  if (!source || typeof source !== 'object' || Array.isArray(source)) throw optionError(call, 'source', 'a model or a state dict', source);
  return source as StateDictInput;
}

function checkMetadata(call: string, options: SafetensorsOptions): Record<string, string> {
  const given = (checkOptions(call, options, ['metadata']) as SafetensorsOptions).metadata ?? { format: 'pt' };
  if (!given || typeof given !== 'object' || Array.isArray(given)) throw optionError(call, 'metadata', 'an object of string values', given);
  for (const [k, v] of Object.entries(given)) if (typeof v !== 'string') throw optionError(call, `metadata.${k}`, 'a string', v);
  return { ...given };
}
