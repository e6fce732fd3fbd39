/**
 * The native backend: C++17 SIMD kernels over N-API (native/), loaded with node-gyp-build from the package root,
 * so a prebuild in prebuilds/<platform>-<arch>/ is used when it fits and build/Release/ otherwise.
 * No static imports of Node modules: this file stays bundleable for browsers, where `load()` simply reports that
 * the addon needs Node. Node built-ins come through src/node.ts (`process.getBuiltinModule`, Node ≥ 20.16).
 * Memory: plain typed arrays (GC-managed), each allocation aligned to 64 bytes inside a slightly larger buffer.
 * @example
 * import { loadBackend } from 'descent-nn';
 * const b = await loadBackend('native');   // detail: 'avx512f, 2 threads'
 */
import { heapF32, heapI32, type F32Buf, type I32Buf } from '../buffers.js';
import { backendError } from '../errors.js';
import { KERNELS } from '../kernels.js';
import { builtin, nodeUnavailable, packageRoot } from '../node.js';
import { nativeKernels } from './kernels.gen.js';
import type { BackendLoader } from './registry.js';
import type { Backend } from './types.js';
import { checkAllocSize } from './memory.js';

/** What the addon exports (native/addon.cc). Kernels take plain typed arrays in place of buffer handles. */
export interface NativeAddon {
  info(): { isa: string; supported: string; refused: string; threads: number; mr: number; nr: number; napi: number };
  setThreads(n: number): number;
  setIsa(name: string): boolean;
  /** When 3×3 stride-1 convolutions take Winograd: 'auto' (when it pays), 'always' or 'never' (tests, benches). */
  setWinograd(mode: 'auto' | 'always' | 'never'): boolean;
  alignOffset(a: Float32Array): number;
  [kernel: string]: unknown;
}

interface NodeBuiltins {
  module: { createRequire(from: string): (id: string) => unknown };
  fs: { existsSync(p: string): boolean; readFileSync(p: string, enc: 'utf8'): string };
}

function builtins(): NodeBuiltins {
  const why = nodeUnavailable();
  if (why) throw new Error(`the native addon needs Node.js: ${why}; use the wasm or js backend here`);
  return { module: builtin<NodeBuiltins['module']>('node:module'), fs: builtin<NodeBuiltins['fs']>('node:fs') };
}

let addon: NativeAddon | null = null;

/**
 * Loads the addon once. `DESCENT_NATIVE_PATH` may name a specific .node file (the sanitizer build uses it);
 * otherwise node-gyp-build searches prebuilds/ and build/ under the package root.
 */
export function loadAddon(): NativeAddon {
  if (addon) return addon;
  const node = builtins();
  const root = packageRoot();
  const require = node.module.createRequire(import.meta.url);
  const explicit = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DESCENT_NATIVE_PATH;
  let loaded: NativeAddon;
  try {
    if (explicit) loaded = require(explicit) as NativeAddon;
    else {
      const gypBuild = require('node-gyp-build') as (dir: string) => unknown;
      loaded = gypBuild(root) as NativeAddon;
    }
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(explicit ? `native addon could not be loaded (${why}); check DESCENT_NATIVE_PATH=${explicit}` : missingAddon(node, root, why));
  }
  for (const name of Object.keys(KERNELS)) {
    if (typeof loaded[name] !== 'function') {
      throw backendError(`the native addon in ${root} is out of date (it lacks kernel ${name}); ${sourceTree(node, root) ? 'run `npm run build:native`' : 'reinstall descent-nn or run `npm rebuild descent-nn`'}`);
    }
  }
  return (addon = loaded);
}

/** A clone of the repository rather than an installed package (the tarball ships no assembly/). */
function sourceTree(node: NodeBuiltins, root: string): boolean {
  return node.fs.existsSync(`${root}/assembly/index.ts`);
}

/**
 * Why no addon loads, worded for whoever can fix it: a contributor in a clone is told to build; a consumer gets
 * the reason the install step recorded in native-install.json (scripts/install.mjs), or is told the install
 * step did not run.
 */
function missingAddon(node: NodeBuiltins, root: string, why: string): string {
  let recorded: string | undefined;
  try {
    recorded = (JSON.parse(node.fs.readFileSync(`${root}/native-install.json`, 'utf8')) as { reason?: string }).reason;
  } catch {
    // no record: the install step found an addon, or did not run
  }
  if (sourceTree(node, root)) {
    return `native addon not built (${why}); run \`npm run build:native\` (needs Python 3, make and a C++17 compiler)${recorded ? `. The install step said: ${recorded}` : ''}`;
  }
  if (recorded) return recorded;
  return (
    `descent-nn has no prebuilt native addon for ${platformTag()} and none was compiled when it was installed ` +
    `(were install scripts disabled, e.g. --ignore-scripts?). loadBackend() uses the wasm backend instead. To get the native ` +
    'backend, run `npm rebuild descent-nn` with Python 3, make and a C++17 compiler installed.'
  );
}

function platformTag(): string {
  const proc = (globalThis as { process?: { platform?: string; arch?: string } }).process;
  return `${proc?.platform ?? '?'}-${proc?.arch ?? '?'}`;
}

/** A zero-filled Float32Array of `n` elements starting on a 64-byte boundary (cache lines, full vector loads). */
function alignedF32(a: NativeAddon, n: number): Float32Array {
  if (n === 0) return new Float32Array(0);
  const raw = new Float32Array(n + 15);
  const offset = a.alignOffset(raw);
  return raw.subarray(offset, offset + n);
}

function makeBackend(a: NativeAddon): Backend {
  const { mr, nr } = a.info();
  return {
    name: 'native',
    get detail() {
      const i = a.info();
      return `${i.isa}, ${i.threads} thread${i.threads === 1 ? '' : 's'}`;
    },
    tiles: { mr, nr },
    alloc: (n: number): F32Buf => {
      checkAllocSize('alloc', n);
      return heapF32(alignedF32(a, n));
    },
    allocI32: (n: number): I32Buf => {
      checkAllocSize('allocI32', n);
      return heapI32(new Int32Array(n));
    },
    free: () => {},
    view: (data: Float32Array) => heapF32(data),
    viewI32: (data: Int32Array) => heapI32(data),
    k: nativeKernels(a as unknown as Parameters<typeof nativeKernels>[0]),
  };
}

let backend: Backend | null = null;

function loadSync(): Backend {
  return (backend ??= makeBackend(loadAddon()));
}

export const nativeLoader: BackendLoader = {
  load: loadSync,
  loadSync,
};
