/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al.): two zero bytes, a type code, the number of
 * dimensions, one big-endian uint32 per dimension, then the values, big-endian, row-major. Files may be gzipped
 * (recognised by their magic bytes, not their name). Everything is checked before a value is read, so a wrong,
 * truncated or padded file fails with a message that says which.
 */
import type { LabelledData } from './digits.js';
import { dataError, dtypeError, ioError } from '../errors.js';
import { fs, nodeOnly, zlib } from '../node.js';

/**
 * Most classes a data set may declare: a label column of 1,000,000 must not silently build a 129M-parameter
 * output layer. 65,536 covers every common benchmark (ImageNet-21k has 21,841).
 */
export const MAX_CLASSES = 65536;

/** Inflated bytes allowed beyond what a gzip trailer declares (the trailer holds the size mod 2³²). */
const GZIP_SLACK = 1 << 20;

/** How to read IDX data without Node (the message of the Node-only loaders). */
export const IDX_IN_A_BROWSER = 'fetch the file and pass its bytes to parseIdx(new Uint8Array(await (await fetch(url)).arrayBuffer())); gunzip .gz files first (DecompressionStream(\'gzip\')).';

/** The element types an IDX file can hold (`'ubyte'`, `'float'`, …). */
export type IdxType = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

const TYPES: Readonly<Record<number, { name: IdxType; size: number } | undefined>> = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'byte', size: 1 },
  0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 },
  0x0d: { name: 'float', size: 4 },
  0x0e: { name: 'double', size: 8 },
};

/** An IDX array (MNIST format): its element type, dimensions and values. */
export interface IdxArray {
  type: IdxType;
  /** Dimensions, outermost first: `[60000, 28, 28]` for MNIST images, `[60000]` for labels. */
  dims: number[];
  /** The values (a zero-copy view for `ubyte`/`byte`). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

function idxError(source: string, message: string): Error {
  return dataError(source, `not a valid IDX file: ${message}`);
}

/** True when `bytes` starts with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses IDX bytes (already gunzipped). `source` names the file in error messages.
 * @example const { dims, data } = parseIdx(bytes);   // dims [10000, 28, 28], data Uint8Array
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw dtypeError('parseIdx', 'bytes', 'a Uint8Array', bytes);
  if (bytes.length < 4) throw idxError(source, `${bytes.length} bytes is shorter than the 4-byte header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw idxError(source, `magic number starts with 0x${hex(bytes[0])}${hex(bytes[1])}, expected 0x0000 (is it gzipped without a gzip header, or a different format?)`);
  }
  const type = TYPES[bytes[2] as keyof typeof TYPES];
  if (!type) throw idxError(source, `unknown type code 0x${hex(bytes[2])} (expected one of 08, 09, 0B, 0C, 0D, 0E)`);
  const ndims = bytes[3];
  if (ndims === 0) throw idxError(source, 'zero dimensions');
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) throw idxError(source, `truncated header: ${ndims} dimensions need ${headerLength} bytes, found ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerLength + count * type.size;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'trailing bytes';
    throw idxError(source, `${what}: dimensions [${dims.join(', ')}] of ${type.name} need ${expected} bytes, found ${bytes.length}`);
  }
  const body = bytes.subarray(headerLength);
  let data: IdxArray['data'];
  switch (type.name) {
    case 'ubyte':
      data = body;
      break;
    case 'byte':
      data = new Int8Array(body.buffer, body.byteOffset, count);
      break;
    default: {
      // Multi-byte values are big-endian; read them one by one (only labels and small files use these types).
      const out = type.name === 'short' ? new Int16Array(count) : type.name === 'int' ? new Int32Array(count) : type.name === 'float' ? new Float32Array(count) : new Float64Array(count);
      const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
      for (let i = 0; i < count; i++) {
        out[i] =
          type.name === 'short' ? bodyView.getInt16(2 * i) :
          type.name === 'int' ? bodyView.getInt32(4 * i) :
          type.name === 'float' ? bodyView.getFloat32(4 * i) : bodyView.getFloat64(8 * i);
      }
      data = out;
    }
  }
  return { type: type.name, dims, data };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

/**
 * Reads a file whole and gunzips it when it is gzipped, inflating at most what the gzip trailer declares (plus
 * 1 MiB), so a small hostile file cannot expand into gigabytes. Node only.
 */
export function readMaybeGzip(file: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = fs().readFileSync(file);
  } catch (error) {
    throw ioError('read', `cannot read ${file}: ${(error as Error).message}`, error);
  }
  return gunzipBounded(raw, file);
}

/** `bytes` gunzipped when they are gzip (bounded by the trailer's declared size), else `bytes` itself. */
export function gunzipBounded(bytes: Uint8Array, source = 'gzip data'): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  if (bytes.length < 18) throw dataError(source, `gzip data is corrupt or truncated (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getUint32(bytes.length - 4, true);
  const limit = declared + GZIP_SLACK;
  try {
    return zlib().gunzipSync(bytes, { maxOutputLength: limit });
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw dataError(source, `gzip data inflates beyond the ${declared} bytes its trailer declares (stopped at ${limit} bytes)`);
    }
    throw dataError(source, `gzip data is corrupt or truncated (${e.message})`);
  }
}

/**
 * Reads one IDX file, plain or gzipped. Node only.
 * @example const labels = loadIdx('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 */
export function loadIdx(file: string): IdxArray {
  nodeOnly('loadIdx', IDX_IN_A_BROWSER);
  return parseIdx(readMaybeGzip(file), file);
}

/**
 * Pairs an images file and a labels file into labelled rows: each image flattened to one row of raw values
 * (0–255 for MNIST), labels as class indices. Counts must agree and labels must be non-negative integers.
 * @example const train = loadIdxDataset('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
 */
export function loadIdxDataset(imagesFile: string, labelsFile: string, { classes }: { classes?: number } = {}): LabelledData {
  nodeOnly('loadIdxDataset', `${IDX_IN_A_BROWSER} idxDataset(images, labels) pairs images and labels.`);
  return idxDataset(loadIdx(imagesFile), loadIdx(labelsFile), imagesFile, labelsFile, classes);
}

/** `loadIdxDataset` over arrays already parsed (browser use: parse fetched bytes with `parseIdx`). */
export function idxDataset(images: IdxArray, labels: IdxArray, imagesName = 'images', labelsName = 'labels', classes?: number): LabelledData {
  if (images.dims.length < 2) throw idxError(imagesName, `images need at least 2 dimensions (count, features…), found [${images.dims.join(', ')}]`);
  if (labels.dims.length !== 1) throw idxError(labelsName, `labels need 1 dimension, found [${labels.dims.join(', ')}]`);
  const count = images.dims[0];
  if (labels.dims[0] !== count) throw idxError(labelsName, `${labels.dims[0]} labels for ${count} images in ${imagesName}`);
  const features = images.dims.slice(1).reduce((a, b) => a * b, 1);
  // [count, H, W] images get PyTorch's channel axis: one grey channel, [1, H, W].
  const shape = images.dims.length === 3 ? [1, ...images.dims.slice(1)] : images.dims.slice(1);
  const x = new Float32Array(count * features);
  const src = images.data;
  for (let i = 0; i < x.length; i++) x[i] = src[i];
  const y = new Int32Array(count);
  let max = -1;
  for (let i = 0; i < count; i++) {
    const v = labels.data[i];
    if (!Number.isInteger(v) || v < 0) throw idxError(labelsName, `label ${i} is ${v}, expected a non-negative integer class index`);
    y[i] = v;
    if (v > max) max = v;
  }
  const k = classes ?? max + 1;
  if (max >= k) throw idxError(labelsName, `label ${max} is outside [0, ${k})`);
  if (k > MAX_CLASSES) throw idxError(labelsName, `label ${max} means ${k} classes, more than the ${MAX_CLASSES} descent accepts`);
  return { x, y, count, features, shape, classes: k };
}
