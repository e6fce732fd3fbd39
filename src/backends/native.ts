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
import { optionError } from '../errors.js';
import { KERNELS, type Kernels, type KernelName } from '../kernels.js';
import { builtin, nodeUnavailable, packageRoot } from '../node.js';
import type { BackendLoader } from './registry.js';
import type { Backend } from './types.js';

/** What the addon exports (native/addon.cc). Kernels take plain typed arrays in place of buffer handles. */
export interface NativeAddon {
  info(): { isa: string; supported: string; threads: number; mr: number; nr: number; napi: number };
  setThreads(n: number): number;
  setIsa(name: string): boolean;
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
      throw new Error(`the native addon in ${root} is out of date (it lacks ${name}); ${sourceTree(node, root) ? 'run `npm run build:native`' : 'reinstall descent-nn or run `npm rebuild descent-nn`'}`);
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

/**
 * Sets the native backend's thread count (default: `DESCENT_THREADS`, else the CPUs this process may use).
 * Results are bit-identical for any count. Returns the count now in use.
 * @example
 * setThreads(1);   // single-threaded kernels, e.g. when running several workers
 */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 256) throw optionError('setThreads', 'n', 'an integer in [1, 256]', n);
  return loadAddon().setThreads(n);
}

/** The native thread count now in use. */
export function getThreads(): number {
  return loadAddon().info().threads;
}

/** A zero-filled Float32Array of `n` elements starting on a 64-byte boundary (cache lines, full vector loads). */
function alignedF32(a: NativeAddon, n: number): Float32Array {
  if (n === 0) return new Float32Array(0);
  const raw = new Float32Array(n + 15);
  const offset = a.alignOffset(raw);
  return raw.subarray(offset, offset + n);
}

function makeKernels(a: NativeAddon): Kernels {
  const f = a as unknown as Record<KernelName, (...args: unknown[]) => void>;
  // One closure per kernel, written out: the call sites stay monomorphic and cost one N-API crossing each.
  const g = f.gemm_f32, ba = f.bias_add_f32, cs = f.col_sum_f32;
  const sf = f.sigmoid_fwd_f32, tf = f.tanh_fwd_f32, rf = f.relu_fwd_f32, lf = f.leaky_relu_fwd_f32;
  const sb = f.sigmoid_bwd_f32, tb = f.tanh_bwd_f32, rb = f.relu_bwd_f32, lb = f.leaky_relu_bwd_f32;
  const ef = f.elu_fwd_f32, eb = f.elu_bwd_f32, gf = f.gelu_fwd_f32, gb = f.gelu_bwd_f32, gtf = f.gelu_tanh_fwd_f32, gtb = f.gelu_tanh_bwd_f32;
  const slf = f.silu_fwd_f32, slb = f.silu_bwd_f32, spf = f.softplus_fwd_f32, spb = f.softplus_bwd_f32, smf = f.softmax_fwd_f32;
  const sx = f.softmax_xent_f32, ms = f.mse_f32, bc = f.bce_logits_f32;
  const bnt = f.batch_norm_train_f32, bne = f.batch_norm_eval_f32, bnb = f.batch_norm_bwd_f32, dro = f.dropout_fwd_f32, mul = f.mul_f32;
  const cf = f.conv2d_fwd_f32, cbd = f.conv2d_bwd_data_f32, cbf = f.conv2d_bwd_filter_f32;
  const mpf = f.max_pool2d_fwd_f32, mpb = f.max_pool2d_bwd_f32, apf = f.avg_pool2d_fwd_f32, apb = f.avg_pool2d_bwd_f32;
  const sgd = f.sgd_step_f32, mom = f.momentum_step_f32, ada = f.adagrad_step_f32, rms = f.rmsprop_step_f32, adam = f.adam_step_f32;
  return {
    gemm_f32: (ta, tb_, m, n, k, alpha, A, B, beta, C) => g(ta, tb_, m, n, k, alpha, A.data, B.data, beta, C.data),
    bias_add_f32: (m, n, bias, C) => ba(m, n, bias.data, C.data),
    col_sum_f32: (m, n, beta, A, out) => cs(m, n, beta, A.data, out.data),
    sigmoid_fwd_f32: (n, x, y) => sf(n, x.data, y.data),
    tanh_fwd_f32: (n, x, y) => tf(n, x.data, y.data),
    relu_fwd_f32: (n, x, y) => rf(n, x.data, y.data),
    leaky_relu_fwd_f32: (n, slope, x, y) => lf(n, slope, x.data, y.data),
    sigmoid_bwd_f32: (n, y, dy, dx) => sb(n, y.data, dy.data, dx.data),
    tanh_bwd_f32: (n, y, dy, dx) => tb(n, y.data, dy.data, dx.data),
    relu_bwd_f32: (n, y, dy, dx) => rb(n, y.data, dy.data, dx.data),
    leaky_relu_bwd_f32: (n, slope, y, dy, dx) => lb(n, slope, y.data, dy.data, dx.data),
    elu_fwd_f32: (n, alpha, x, y) => ef(n, alpha, x.data, y.data),
    elu_bwd_f32: (n, alpha, x, dy, dx) => eb(n, alpha, x.data, dy.data, dx.data),
    gelu_fwd_f32: (n, x, y) => gf(n, x.data, y.data),
    gelu_bwd_f32: (n, x, dy, dx) => gb(n, x.data, dy.data, dx.data),
    gelu_tanh_fwd_f32: (n, x, y) => gtf(n, x.data, y.data),
    gelu_tanh_bwd_f32: (n, x, dy, dx) => gtb(n, x.data, dy.data, dx.data),
    silu_fwd_f32: (n, x, y) => slf(n, x.data, y.data),
    silu_bwd_f32: (n, x, dy, dx) => slb(n, x.data, dy.data, dx.data),
    softplus_fwd_f32: (n, beta, threshold, x, y) => spf(n, beta, threshold, x.data, y.data),
    softplus_bwd_f32: (n, beta, threshold, x, dy, dx) => spb(n, beta, threshold, x.data, dy.data, dx.data),
    softmax_fwd_f32: (m, n, x, y) => smf(m, n, x.data, y.data),
    softmax_xent_f32: (m, n, scale, x, labels, loss, grad) => sx(m, n, scale, x.data, labels.data, loss.data, grad.data),
    mse_f32: (m, n, scale, p, t, loss, grad) => ms(m, n, scale, p.data, t.data, loss.data, grad.data),
    bce_logits_f32: (m, n, scale, p, t, loss, grad) => bc(m, n, scale, p.data, t.data, loss.data, grad.data),
    sgd_step_f32: (n, lr, wd, w, gr) => sgd(n, lr, wd, w.data, gr.data),
    momentum_step_f32: (n, lr, mu, damp, wd, nesterov, w, gr, buf) => mom(n, lr, mu, damp, wd, nesterov, w.data, gr.data, buf.data),
    adagrad_step_f32: (n, clr, wd, eps, w, gr, sum) => ada(n, clr, wd, eps, w.data, gr.data, sum.data),
    rmsprop_step_f32: (n, lr, alpha, eps, wd, mu, centered, w, gr, sq, buf, gavg) =>
      rms(n, lr, alpha, eps, wd, mu, centered, w.data, gr.data, sq.data, buf.data, gavg.data),
    adam_step_f32: (n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, w, gr, m, v, vmax) =>
      adam(n, lr, b1, b2, eps, wd, decoupled, bc1, bc2, w.data, gr.data, m.data, v.data, vmax.data),
    batch_norm_train_f32: (n, c, hw, eps, momentum, x, gm, bt, rm, rv, y, sm, si) =>
      bnt(n, c, hw, eps, momentum, x.data, gm.data, bt.data, rm.data, rv.data, y.data, sm.data, si.data),
    batch_norm_eval_f32: (n, c, hw, eps, x, gm, bt, rm, rv, y, sm, si) => bne(n, c, hw, eps, x.data, gm.data, bt.data, rm.data, rv.data, y.data, sm.data, si.data),
    batch_norm_bwd_f32: (n, c, hw, bs, ba, x, dy, gm, sm, si, dx, dg, db) =>
      bnb(n, c, hw, bs, ba, x.data, dy.data, gm.data, sm.data, si.data, dx.data, dg.data, db.data),
    dropout_fwd_f32: (n, seed, threshold, scale, x, y, mask) => dro(n, seed, threshold, scale, x.data, y.data, mask.data),
    mul_f32: (n, a_, b, out) => mul(n, a_.data, b.data, out.data),
    conv2d_fwd_f32: (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow, x, wt, bias, col, y) =>
      cf(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow, x.data, wt.data, bias.data, col.data, y.data),
    conv2d_bwd_data_f32: (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow, dy, wt, col, dx) =>
      cbd(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow, dy.data, wt.data, col.data, dx.data),
    conv2d_bwd_filter_f32: (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow, beta, x, dy, col, gw, gb) =>
      cbf(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow, beta, x.data, dy.data, col.data, gw.data, gb.data),
    max_pool2d_fwd_f32: (nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, x, y, idx) => mpf(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, x.data, y.data, idx.data),
    max_pool2d_bwd_f32: (nc, h, w, oh, ow, dy, idx, dx) => mpb(nc, h, w, oh, ow, dy.data, idx.data, dx.data),
    avg_pool2d_fwd_f32: (nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, ip, x, y) => apf(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, ip, x.data, y.data),
    avg_pool2d_bwd_f32: (nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, ip, dy, dx) => apb(nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, ip, dy.data, dx.data),
  };
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
    alloc: (n: number): F32Buf => heapF32(alignedF32(a, n)),
    allocI32: (n: number): I32Buf => heapI32(new Int32Array(n)),
    free: () => {},
    view: (data: Float32Array) => heapF32(data),
    viewI32: (data: Int32Array) => heapI32(data),
    k: makeKernels(a),
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
