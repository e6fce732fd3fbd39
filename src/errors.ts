/**
 * Stable error codes. Every check runs in TypeScript before the first kernel call, so every backend throws the
 * same class, code and message for the same bad input. Every error descent throws carries one of these codes.
 */
export const ERROR_CODES = [
  /** A length, shape or value does not fit the model (wrong feature count, class index out of range). */
  'ERR_SHAPE',
  /** An argument of the wrong type (a Float64Array where a Float32Array is expected). */
  'ERR_DTYPE',
  /** An option or hyperparameter out of range, misspelled or of the wrong type. */
  'ERR_OPTION',
  /** A backend that cannot load, or an object used on another backend. */
  'ERR_BACKEND',
  /** A state dict, checkpoint or object state that does not fit (including use after `dispose()`). */
  'ERR_STATE',
  /** A data file or text that cannot be read as what it claims to be (IDX, CSV, gzip). */
  'ERR_DATA',
  /** An allocation larger than a backend allows (1 GiB per buffer on every backend) or than memory can hold. */
  'ERR_MEMORY',
  /** Training diverged: a loss, weight or activation became NaN or ±Infinity. */
  'ERR_NONFINITE',
  /** A file could not be read or written (the message carries the system's reason). */
  'ERR_IO',
  /** Bytes that break a file format's rules (safetensors, ONNX). */
  'ERR_FORMAT',
] as const;

/** The stable `code` of every error descent throws (one of `ERROR_CODES`). */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error thrown by descent: a standard Error subclass with a stable `code` (`ERR_SHAPE`, `ERR_OPTION`, …). */
export interface DescentError extends Error {
  code: ErrorCode;
}

/** Attaches a stable `code` to an error (the kernel doors build their messages themselves). */
export function withCode<E extends Error>(error: E, code: ErrorCode): E & { code: ErrorCode } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: false });
  return error as E & { code: ErrorCode };
}

/** Describes a received value for an error message: `-1 of type number`, `Float64Array(3)`, `undefined`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) {
    const len = (value as unknown as { length?: number }).length;
    return `${value.constructor.name}(${len ?? (value as ArrayBufferView).byteLength})`;
  }
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (typeof value === 'string') return `"${value}" of type string`;
  if (typeof value === 'object') return `${(value as object).constructor?.name ?? 'object'}`;
  return `${String(value)} of type ${typeof value}`;
}

/** `RangeError` (ERR_SHAPE): `Linear.forward: expected x of shape [*, 20], received length 21`. */
export function shapeError(call: string, arg: string, expected: string, received: string) {
  return withCode(new RangeError(`${call}: expected ${arg} of shape ${expected}, received ${received}`), 'ERR_SHAPE');
}

/** `TypeError` (ERR_DTYPE): `Trainer.step: expected x to be a Float32Array, received Float64Array(12)`. */
export function dtypeError(call: string, arg: string, expected: string, value: unknown) {
  return withCode(new TypeError(`${call}: expected ${arg} to be ${expected}, received ${describe(value)}`), 'ERR_DTYPE');
}

/** `RangeError` (ERR_OPTION): `SGD: expected lr to be a finite number ≥ 0, received NaN of type number`. */
export function optionError(call: string, arg: string, expected: string, value: unknown, hint = '') {
  const message = `${call}: expected ${arg} to be ${expected}, received ${describe(value)}${hint}`;
  return withCode(new RangeError(message), 'ERR_OPTION');
}

/** `Error` (ERR_BACKEND) with the list of what was tried and why it failed. */
export function backendError(message: string, reasons: { name: string; reason: string }[] = []) {
  const error = withCode(new Error(message), 'ERR_BACKEND') as Error & { code: ErrorCode; reasons: typeof reasons };
  error.reasons = reasons;
  return error;
}

/** `Error` (ERR_STATE): a state dict or checkpoint that does not fit what it is loaded into. */
export function stateError(call: string, message: string) {
  return withCode(new Error(`${call}: ${message}`), 'ERR_STATE');
}

/**
 * `Error` (ERR_FORMAT): bytes that break a file format's rules, named by the part that breaks them:
 * `loadSafetensors: model.safetensors is not a valid safetensors file: tensor '0.weight' ends past the data`.
 */
export function formatError(call: string, source: string, format: string, message: string) {
  return withCode(new Error(`${call}: ${source} is not a valid ${format} file: ${message}`), 'ERR_FORMAT');
}

/** `Error` (ERR_STATE): `Sequential.forward: the model was disposed`. */
export function disposedError(call: string, what: string) {
  return stateError(call, `the ${what} was disposed (dispose() releases its memory; create a new one)`);
}

/** `Error` (ERR_DATA): a data file or text that is not what it claims to be. */
export function dataError(source: string, message: string) {
  return withCode(new Error(`${source}: ${message}`), 'ERR_DATA');
}

/** `RangeError` (ERR_MEMORY): an allocation over a backend's limit, or one memory cannot hold. */
export function memoryError(call: string, message: string) {
  return withCode(new RangeError(`${call}: ${message}`), 'ERR_MEMORY');
}

/** `Error` (ERR_NONFINITE): training produced NaN or ±Infinity. */
export function nonFiniteError(call: string, message: string) {
  return withCode(new Error(`${call}: ${message}`), 'ERR_NONFINITE');
}

/** `Error` (ERR_IO): a file operation failed; the system error stays available as `cause`. */
export function ioError(call: string, message: string, cause?: unknown) {
  const error = withCode(new Error(`${call}: ${message}`), 'ERR_IO');
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}

/** True for an error carrying one of descent's codes. */
export function isDescentError(error: unknown): error is DescentError {
  return error instanceof Error && (ERROR_CODES as readonly string[]).includes((error as { code?: unknown }).code as string);
}

/** `RangeError` (ERR_OPTION): `SGD: unknown option 'lrr'; did you mean 'lr'? (known options: lr, momentum, …)`. */
export function unknownOptionError(call: string, key: string, hint: string) {
  return withCode(new RangeError(`${call}: unknown option '${key}'${hint}`), 'ERR_OPTION');
}

/** `RangeError` (ERR_SHAPE) for data values that do not fit the model: `expected y[1] to be a class index in [0, 3), received 3`. */
export function valueError(call: string, arg: string, expected: string, received: string) {
  return withCode(new RangeError(`${call}: expected ${arg} to be ${expected}, received ${received}`), 'ERR_SHAPE');
}
