import { ioError } from './errors.js';

/**
 * The one way the library reaches Node built-ins: `process.getBuiltinModule` (Node ≥ 20.16) at call time instead
 * of static imports, so every module (the backends included) still bundles for browsers: nothing here runs unless
 * a Node-only feature is used.
 */
type FsModule = typeof import('node:fs');
type PathModule = typeof import('node:path');
type UrlModule = typeof import('node:url');
type ZlibModule = typeof import('node:zlib');
/** node:http's module type, for the one server (`descent lab serve`). */
export type HttpModule = typeof import('node:http');

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  versions?: { node?: string };
}

/** Why Node built-ins cannot be reached here (not Node.js, or a Node without getBuiltinModule), or null. */
export function nodeUnavailable(): string | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (typeof proc?.getBuiltinModule === 'function') return null;
  return proc?.versions?.node ? `Node ${proc.versions.node} lacks process.getBuiltinModule (needs Node ≥ 20.16)` : 'not running in Node.js';
}

/** A Node built-in module, or null outside Node (for callers with a browser path). */
export function maybeBuiltin<T>(id: string): T | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return (proc?.getBuiltinModule?.(id) as T | undefined) ?? null;
}

/** The expression that gives an eval'd worker_threads script its workerData (the wasm team's workers: wasm-threads.ts). */
export const NODE_WORKER_DATA = "require('node:worker_threads').workerData";

export function builtin<T>(id: string): T {
  const mod = maybeBuiltin<T>(id);
  if (!mod) throw new Error(`${id} is only available in Node.js ≥ 20.16`);
  return mod;
}

/**
 * Called first by every helper that reads or writes files: outside Node it throws an `Error` with code
 * `ERR_NODE_ONLY` naming the browser way (`inABrowser`), instead of a `node:path` failure deep inside.
 */
export function nodeOnly(call: string, inABrowser: string): void {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (typeof proc?.getBuiltinModule === 'function') return;
  const where = proc?.versions?.node ? `this is Node ${proc.versions.node}, which lacks process.getBuiltinModule (Node 20.16+ or 22.3+ has it)` : 'this is not Node.js';
  const error = new Error(`${call} reads files, so it works only in Node.js (${where}). In a browser, ${inABrowser}`);
  throw Object.assign(error, { code: 'ERR_NODE_ONLY' });
}

export const fs = (): FsModule => builtin<FsModule>('node:fs');
export const path = (): PathModule => builtin<PathModule>('node:path');
export const zlib = (): ZlibModule => builtin<ZlibModule>('node:zlib');
export const http = (): HttpModule => builtin<HttpModule>('node:http');

/** The directory holding descent-nn's package.json, found by walking up from this module (works from src/ and dist/). */
export function packageRoot(): string {
  const { fileURLToPath } = builtin<UrlModule>('node:url');
  const p = path();
  let dir = p.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = p.join(dir, 'package.json');
    if (fs().existsSync(candidate)) {
      try {
        if (JSON.parse(fs().readFileSync(candidate, 'utf8')).name === 'descent-nn') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const parent = p.dirname(dir);
    if (parent === dir) throw new Error(`cannot find descent-nn's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/**
 * Writes `bytes` atomically: a temporary file in the same directory, created exclusively under a random name with
 * mode 0600 (a planted file or symlink is never followed, and no other user can read it), fsync, rename over
 * `file`, fsync the directory. A crash at any point leaves either the old or the new file, never a mix; temporary
 * files of `file` left by dead processes (crashed saves) are removed first. Failures are ERR_IO naming `call`.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array, call = 'writeFileAtomic'): void {
  const f = fs(), p = path(), dir = p.dirname(p.resolve(file)), base = p.basename(file);
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  removeStaleTemporaries(dir, base, pid);
  const suffix = builtin<typeof import('node:crypto')>('node:crypto').randomBytes(8).toString('hex');
  const tmp = p.join(dir, `.${base}.tmp-${pid}-${suffix}`);
  let fd: number;
  try {
    fd = f.openSync(tmp, 'wx', 0o600);
  } catch (error) {
    throw ioError(call, `cannot create ${tmp}: ${(error as Error).message}`, error);
  }
  try {
    let written = 0;
    while (written < bytes.length) written += f.writeSync(fd, bytes, written, Math.min(bytes.length - written, 1 << 24));
    f.fsyncSync(fd);
    f.closeSync(fd);
    f.renameSync(tmp, file);
  } catch (error) {
    try {
      f.closeSync(fd);
    } catch {
      // already closed
    }
    f.rmSync(tmp, { force: true });
    throw ioError(call, `cannot write ${file}: ${(error as Error).message}`, error);
  }
  try {
    // Make the rename itself durable (POSIX); not possible on every platform, and not needed for atomicity.
    const dfd = f.openSync(dir, 'r');
    try {
      f.fsyncSync(dfd);
    } finally {
      f.closeSync(dfd);
    }
  } catch {
    // directories cannot be opened for fsync on Windows
  }
}

/** Removes `.<base>.tmp-<pid>-…` files of this checkpoint whose process is gone (or is this one): crashed saves. */
function removeStaleTemporaries(dir: string, base: string, self: number): void {
  const f = fs(), prefix = `.${base}.tmp-`;
  let names: string[];
  try {
    names = f.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isInteger(pid) && pid !== self && processAlive(pid)) continue;
    try {
      // unlink removes a symlink itself, never its target.
      f.rmSync(path().join(dir, name), { force: true });
    } catch {
      // a directory or a file we may not remove: not ours to clean up
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    (globalThis as unknown as { process: { kill(pid: number, signal: number): void } }).process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

