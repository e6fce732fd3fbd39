/**
 * Checkpoints: weights, optimizer state, scheduler, generator state, epoch and the run's configuration in one
 * file, so a resumed run continues bit for bit. Layout (little-endian):
 *   0  "DSCNTCKP"   8-byte magic          16  u64 JSON byte length     32  JSON (UTF-8), padded to 8 bytes
 *   8  u32 version  12 u32 CRC-32 of all   24  u64 tensor byte length       then the tensors (float32 / int32)
 *                      bytes after 32
 * Tensors appear in the JSON as `{"$f32": [offset, length]}`; ±Infinity and NaN (ReduceLROnPlateau's `best`)
 * as `{"$num": "Infinity"}`. A file whose length or checksum does not match is rejected before anything is
 * parsed, every tensor reference and the structure are checked after, and writes go to a temporary file (created
 * exclusively, random name, mode 0600) that is fsynced and then renamed over the old one.
 */
import type { Sequential, StateDict, TensorEntry } from './nn/sequential.js';
import type { Optimizer, OptimizerStateDict } from './optim/optimizer.js';
import type { Scheduler } from './optim/schedulers.js';
import type { Rng, RngState } from './rng.js';
import { ioError, nonFiniteError, stateError } from './errors.js';
import { fs, nodeOnly, writeFileAtomic } from './node.js';

const MAGIC = 'DSCNTCKP';
const VERSION = 1;
const HEADER = 32;

/** Everything needed to resume or reuse a run, as `saveCheckpoint` writes it and `loadCheckpoint`/`decodeCheckpoint` return it. */
export interface Checkpoint {
  /** The model's state dict (PyTorch names and shapes). */
  model: StateDict;
  optimizer?: { type: string; state: OptimizerStateDict };
  scheduler?: { type: string; state: Record<string, number> };
  /** State of the shuffling generator at the point the checkpoint describes. */
  rng?: RngState;
  /** The model's per-sample input shape (`[784]`, `[1, 28, 28]`), checked on restore. */
  inputShape?: number[];
  /** The model's mode (`model.training`) when saved; restored with it. */
  training?: boolean;
  /**
   * The backend the run trained on and what it guarantees: results are bit-identical on the same backend for any
   * thread count, so a resumed run continues bit for bit only there (the CLI resumes on it unless told otherwise).
   */
  backend?: { name: string; detail: string; determinism: string };
  /** Completed epochs. */
  epoch: number;
  /** The run's configuration, as the caller defines it (the CLI stores every flag). */
  config?: Record<string, unknown>;
  /** Anything else JSON-like (typed arrays allowed): normalisation statistics, history, … */
  extra?: Record<string, unknown>;
}

/** Live objects to snapshot into a checkpoint. */
export interface CheckpointParts {
  model: Sequential;
  optimizer?: Optimizer;
  scheduler?: Scheduler;
  rng?: Rng;
  epoch?: number;
  config?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/**
 * Snapshots live objects into a checkpoint (copies: training may continue).
 * @example const ckpt = createCheckpoint({ model, optimizer, scheduler, rng, epoch: 3 });
 */
export function createCheckpoint(parts: CheckpointParts): Checkpoint {
  const b = parts.model.backend;
  const c: Checkpoint = {
    model: parts.model.stateDict(),
    inputShape: [...parts.model.inputShape],
    training: parts.model.training,
    backend: { name: b.name, detail: b.detail, determinism: DETERMINISM },
    epoch: parts.epoch ?? 0,
  };
  if (parts.optimizer) c.optimizer = { type: parts.optimizer.type, state: parts.optimizer.stateDict() };
  if (parts.scheduler) c.scheduler = { type: parts.scheduler.type, state: parts.scheduler.stateDict() };
  if (parts.rng) c.rng = parts.rng.getState();
  if (parts.config) c.config = parts.config;
  if (parts.extra) c.extra = parts.extra;
  return c;
}

/**
 * Loads a checkpoint into live objects of the same architecture and types. Everything is checked first; if any
 * part is rejected, the parts already written are rolled back, so nothing is left half-loaded.
 * @example restoreCheckpoint(loadCheckpoint('run.ckpt'), { model, optimizer, scheduler, rng });
 */
export function restoreCheckpoint(c: Checkpoint, parts: Omit<CheckpointParts, 'epoch' | 'config' | 'extra'>): void {
  const call = 'restoreCheckpoint';
  if (parts.optimizer && c.optimizer && c.optimizer.type !== parts.optimizer.type) throw stateError(call, `the checkpoint holds ${c.optimizer.type} state, the optimizer is ${parts.optimizer.type}`);
  if (parts.optimizer && !c.optimizer) throw stateError(call, 'the checkpoint holds no optimizer state');
  if (parts.scheduler && c.scheduler?.type !== parts.scheduler.type) throw stateError(call, `the checkpoint holds ${c.scheduler?.type ?? 'no'} scheduler state, the scheduler is ${parts.scheduler.type}`);
  if (parts.rng && !c.rng) throw stateError(call, 'the checkpoint holds no generator state');
  if (c.inputShape !== undefined && (!Array.isArray(c.inputShape) || c.inputShape.join(',') !== parts.model.inputShape.join(','))) {
    throw stateError(call, `the checkpoint's model takes samples of shape [${String(c.inputShape)}], this model [${parts.model.inputShape.join(', ')}]`);
  }
  const model = parts.model.stateDict();
  const optimizer = parts.optimizer?.stateDict();
  const scheduler = parts.scheduler?.stateDict();
  const rng = parts.rng?.getState();
  try {
    parts.model.loadStateDict(c.model);
    if (parts.optimizer) parts.optimizer.loadStateDict(c.optimizer!.state);
    if (parts.scheduler) parts.scheduler.loadStateDict(c.scheduler!.state);
    if (parts.rng) parts.rng.setState(c.rng!);
  } catch (error) {
    parts.model.loadStateDict(model);
    if (parts.optimizer) parts.optimizer.loadStateDict(optimizer!);
    if (parts.scheduler) parts.scheduler.loadStateDict(scheduler!);
    if (parts.rng) parts.rng.setState(rng!);
    throw error;
  }
  if (typeof c.training === 'boolean') parts.model.train(c.training);
}

/** What a checkpoint's numbers depend on (recorded with the backend). */
const DETERMINISM = 'bit-identical on the same backend for any thread count; other backends round differently';

// ---- encoding ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the zlib/PNG polynomial). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The checkpoint as bytes (works in browsers too: store them anywhere).
 * @example const bytes = encodeCheckpoint(createCheckpoint({ model }));
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const tensors: (Float32Array | Int32Array)[] = [];
  let offset = 0;
  const json = JSON.stringify(c, function (this: unknown, key: string, value: unknown) {
    // JSON.stringify calls toJSON-less typed arrays as objects; intercept the raw value instead.
    const raw = (this as Record<string, unknown>)[key];
    // A state-dict entry's own toJSON writes a number array; here its data goes to the binary section instead.
    if (isTensorEntry(raw)) return { shape: raw.shape, data: raw.data };
    if (raw instanceof Float32Array || raw instanceof Int32Array) {
      const ref = { [raw instanceof Float32Array ? '$f32' : '$i32']: [offset, raw.length] };
      tensors.push(raw);
      offset += raw.byteLength;
      return ref;
    }
    if (ArrayBuffer.isView(raw)) throw stateError('encodeCheckpoint', `${key} is a ${raw.constructor.name}; only Float32Array and Int32Array are stored`);
    if (typeof raw === 'number' && !Number.isFinite(raw)) return { $num: String(raw) };
    return value;
  });
  const text = new TextEncoder().encode(json);
  const jsonPadded = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(HEADER + jsonPadded + offset);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, VERSION, true);
  view.setBigUint64(16, BigInt(text.length), true);
  view.setBigUint64(24, BigInt(offset), true);
  out.set(text, HEADER);
  let at = HEADER + jsonPadded;
  for (const t of tensors) {
    // Copy through a byte view: typed arrays are little-endian on every platform Node and browsers run on.
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
    at += t.byteLength;
  }
  view.setUint32(12, crc32(out.subarray(HEADER)), true);
  return out;
}

function isTensorEntry(v: unknown): v is TensorEntry {
  return !!v && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function' && (v as TensorEntry).data instanceof Float32Array;
}

function corrupt(source: string, message: string): Error {
  return stateError('loadCheckpoint', `${source} is not a usable checkpoint: ${message}`);
}

/**
 * Parses checkpoint bytes; rejects wrong magic, other versions, truncation and checksum mismatches with a clear
 * error before anything is returned.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  if (bytes.length < HEADER) throw corrupt(source, `${bytes.length} bytes is shorter than the ${HEADER}-byte header (truncated or empty)`);
  for (let i = 0; i < 8; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) throw corrupt(source, 'wrong magic bytes (not a descent checkpoint)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw corrupt(source, `format version ${version}, this descent reads version ${VERSION}`);
  const jsonLength = Number(view.getBigUint64(16, true)), tensorLength = Number(view.getBigUint64(24, true));
  const expected = HEADER + Math.ceil(jsonLength / 8) * 8 + tensorLength;
  if (bytes.length !== expected) throw corrupt(source, `length ${bytes.length} bytes, the header says ${expected} (${bytes.length < expected ? 'truncated' : 'trailing data'})`);
  const crc = crc32(bytes.subarray(HEADER));
  if (crc !== view.getUint32(12, true)) throw corrupt(source, 'checksum mismatch (the file is corrupt)');
  const tensorsAt = HEADER + Math.ceil(jsonLength / 8) * 8;
  const json = new TextDecoder().decode(bytes.subarray(HEADER, HEADER + jsonLength));
  let c: Checkpoint;
  try {
    c = JSON.parse(json, (_key, value: unknown) => revive(value)) as Checkpoint;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_STATE') throw error;
    // Malformed or absurdly nested JSON (a crafted file with a valid CRC): V8 throws SyntaxError or RangeError.
    throw corrupt(source, `its JSON part cannot be parsed (${(error as Error).message})`);
  }
  checkStructure(c, source);
  return c;

  function revive(value: unknown): unknown {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      const ref = (o.$f32 ?? o.$i32) as unknown;
      if (ref !== undefined && Object.keys(o).length === 1) {
        if (!Array.isArray(ref) || ref.length !== 2 || !ref.every((v) => Number.isSafeInteger(v))) throw corrupt(source, `malformed tensor reference ${JSON.stringify(ref)?.slice(0, 80)}`);
        const [off, len] = ref as [number, number], size = 4 * len;
        if (!(off >= 0 && len >= 0 && off % 4 === 0 && off + size <= tensorLength)) throw corrupt(source, `tensor reference [${off}, ${len}] is out of range`);
        // Copy into an aligned buffer the caller owns (Buffer#slice would return a view of Node's pool).
        const b = new Uint8Array(size);
        b.set(bytes.subarray(tensorsAt + off, tensorsAt + off + size));
        return o.$f32 ? new Float32Array(b.buffer) : new Int32Array(b.buffer);
      }
      if (typeof o.$num === 'string' && Object.keys(o).length === 1) return Number(o.$num);
    }
    return value;
  }
}

/** The parts every reader relies on: model entries `{ shape, data }` that agree, an epoch, shapes of integers. */
function checkStructure(c: Checkpoint, source: string): void {
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw corrupt(source, 'the JSON part is not an object');
  if (!c.model || typeof c.model !== 'object' || Array.isArray(c.model)) throw corrupt(source, 'missing model');
  if (!Number.isSafeInteger(c.epoch) || c.epoch < 0) throw corrupt(source, 'missing or invalid epoch');
  const dims = (v: unknown) => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
  for (const [name, entry] of Object.entries(c.model)) {
    const e = entry as unknown as { shape?: unknown; data?: unknown } | null;
    if (!e || typeof e !== 'object' || !dims(e.shape) || !(e.data instanceof Float32Array)) throw corrupt(source, `model entry ${name} is not a { shape, data: float32 } tensor`);
    const size = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (size !== e.data.length) throw corrupt(source, `model entry ${name} has shape [${String(e.shape)}] but ${e.data.length} values`);
  }
  if (c.inputShape !== undefined && !(dims(c.inputShape) && c.inputShape.length > 0 && c.inputShape.every((d) => d >= 1))) throw corrupt(source, 'invalid inputShape');
  if (c.backend !== undefined && (typeof c.backend !== 'object' || c.backend === null || typeof c.backend.name !== 'string')) throw corrupt(source, 'invalid backend record');
  for (const key of ['optimizer', 'scheduler', 'rng', 'config', 'extra'] as const) {
    const v = c[key] as unknown;
    if (v !== undefined && (v === null || typeof v !== 'object')) throw corrupt(source, `${key} is not an object`);
  }
}

/** Options of `saveCheckpoint`. */
export interface SaveOptions {
  /**
   * Write weights that hold NaN or ±Infinity (default false: ERR_NONFINITE, and the previous file stays), so a
   * diverged run never replaces a good checkpoint.
   */
  allowNonFinite?: boolean;
}

/**
 * Writes a checkpoint atomically: a temporary file in the same directory (created exclusively under a random
 * name, mode 0600, so a planted file or symlink is never followed), fsync, rename over `file`, fsync the
 * directory. A crash at any point leaves either the old or the new file, never a mix; temporary files of this
 * checkpoint left by dead processes are removed. Non-finite weights are refused (see `allowNonFinite`). Node only.
 * @example saveCheckpoint('run.ckpt', createCheckpoint({ model, optimizer, epoch }));
 */
export function saveCheckpoint(file: string, c: Checkpoint | CheckpointParts, options: SaveOptions = {}): void {
  const call = 'saveCheckpoint';
  nodeOnly('saveCheckpoint', 'encodeCheckpoint(createCheckpoint({ model, optimizer })) gives the bytes to keep (IndexedDB, a download, an upload).');
  const ckpt = typeof (c.model as Sequential).stateDict === 'function' ? createCheckpoint(c as CheckpointParts) : (c as Checkpoint);
  if (!options.allowNonFinite) {
    for (const [name, entry] of Object.entries(ckpt.model)) {
      const data = entry.data;
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i])) throw nonFiniteError(call, `${name} holds ${data[i]} at index ${i}; not writing ${file} (the previous checkpoint, if any, is kept)`);
      }
    }
  }
  writeFileAtomic(file, encodeCheckpoint(ckpt), call);
}

/**
 * Reads and verifies a checkpoint file. Node only.
 * @example const ckpt = loadCheckpoint('run.ckpt'); model.loadStateDict(ckpt.model);
 */
export function loadCheckpoint(file: string): Checkpoint {
  nodeOnly('loadCheckpoint', 'decodeCheckpoint(bytes) reads bytes you fetched or stored, and restoreCheckpoint(checkpoint, { model, optimizer }) applies them.');
  let bytes: Uint8Array;
  try {
    bytes = fs().readFileSync(file);
  } catch (error) {
    throw ioError('loadCheckpoint', `cannot read ${file}: ${(error as Error).message}`, error);
  }
  return decodeCheckpoint(bytes, file);
}
