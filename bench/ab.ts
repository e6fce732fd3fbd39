/**
 * `npm run bench:ab -- --a <old.node> [--b <new.node>]`: two builds of the native addon loaded in one process and
 * called alternately, kernel by kernel, on the same inputs. On a shared machine whose speed drifts by 2× between
 * minutes, separate runs of one build and then the other compare periods of the host rather than builds; calls that
 * alternate (A then B, then B then A) share every period. Prints each trial's median time per call for both, the
 * ratio, and whether the outputs are bit-identical. `--b` defaults to this checkout's build/Release/descent.node;
 * build the other from a worktree of the commit to compare (CONTRIBUTING.md §10).
 *
 *   npm run bench:ab -- --a /tmp/old/build/Release/descent.node [--pairs 30] [--threads 1] [--only gemm,conv,adam]
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CONV_TRIALS, fill, GEMM_TRIALS } from './shapes.js';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: fileURLToPath(new URL('../../build/Release/descent.node', import.meta.url)) },
    pairs: { type: 'string', default: '30' },
    threads: { type: 'string', default: '1' },
    only: { type: 'string', default: 'gemm,conv,adam' },
  },
});
if (!args.a) throw new Error('--a: the path of the other build of descent.node');
const PAIRS = Number(args.pairs), only = args.only!.split(',');

type Addon = Record<string, (...xs: unknown[]) => unknown>;
const load = (path: string, as: string): Addon => {
  // A second copy of one file would be the same module: give each build a path of its own.
  const file = join(mkdtempSync(join(tmpdir(), 'descent-ab-')), `${as}.node`);
  copyFileSync(resolve(path), file);
  const addon = createRequire(import.meta.url)(file) as Addon;
  addon.setThreads(Number(args.threads));
  return addon;
};
const builds = [load(args.a, 'a'), load(args.b!, 'b')];

interface Trial {
  name: string;
  /** One call on build `i` (0: A, 1: B), writing only into outputs(i). */
  run(i: number): void;
  outputs(i: number): ArrayBufferView[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[s.length >> 1];
}

const f32 = (n: number, seed?: number) => (seed === undefined ? new Float32Array(n) : fill(new Float32Array(n), seed));
const twice = <T>(make: () => T): [T, T] => [make(), make()];

const trials: Trial[] = [];
if (only.includes('gemm'))
  for (const t of GEMM_TRIALS.filter((g) => g.m * g.n * g.k <= 1 << 28))
    for (const tb of [1, 0]) {
      const a = f32(t.m * t.k, 1), b = f32(t.n * t.k, 2), c = twice(() => f32(t.m * t.n));
      trials.push({
        name: `gemm ${tb ? 'nt' : 'nn'} ${t.m}x${t.n}x${t.k}`,
        run: (i) => void builds[i].gemm_f32(0, tb, t.m, t.n, t.k, 1, a, b, 0, c[i]),
        outputs: (i) => [c[i]],
      });
    }
if (only.includes('conv'))
  for (const t of CONV_TRIALS) {
    const { n, c, h, w, oc, k, p } = t;
    const oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1, qh = oh >> 1, qw = ow >> 1;
    const sizes = [n, c, h, w, oc, k, k, 1, 1, p, p, 1, 1, 1, oh, ow];
    const x = f32(n * c * h * w, 8), wt = f32(oc * c * k * k, 9), bias = f32(oc, 12), dy = f32(n * oc * oh * ow, 10), pdy = f32(n * oc * qh * qw, 11);
    const col = twice(() => f32(c * k * k * oh * ow)), y = twice(() => f32(n * oc * oh * ow)), dx = twice(() => f32(n * c * h * w));
    const gw = twice(() => f32(oc * c * k * k)), gb = twice(() => f32(oc));
    const perSample = oc * (oh * ow + qh * qw), chunk = Math.max(1, Math.min(n, Math.floor((1 << 17) / perSample)));
    const scratch = twice(() => f32(chunk * perSample)), py = twice(() => f32(n * oc * qh * qw)), idx = twice(() => new Int32Array(n * oc * qh * qw));
    const pool = [2, 2, 2, 2, 0, 0, qh, qw];
    trials.push(
      { name: `conv2d_fwd ${t.name}`, run: (i) => void builds[i].conv2d_fwd_f32(...sizes, x, wt, bias, col[i], y[i]), outputs: (i) => [y[i]] },
      { name: `conv2d_bwd_filter ${t.name}`, run: (i) => void builds[i].conv2d_bwd_filter_f32(...sizes, 0, x, dy, col[i], gw[i], gb[i]), outputs: (i) => [gw[i], gb[i]] },
      { name: `conv2d_bwd_data ${t.name}`, run: (i) => void builds[i].conv2d_bwd_data_f32(...sizes, dy, wt, col[i], dx[i]), outputs: (i) => [dx[i]] },
      {
        name: `conv2d_max_pool2d_fwd ${t.name} +pool2+relu`,
        run: (i) => void builds[i].conv2d_max_pool2d_fwd_f32(...sizes, ...pool, chunk, 1, x, wt, bias, col[i], scratch[i], py[i], idx[i]),
        outputs: (i) => [py[i], idx[i]],
      },
      {
        // Both builds read the pooled output and winners build A's forward wrote (the forward trial runs first).
        name: `conv2d_max_pool2d_bwd ${t.name} +pool2+relu`,
        run: (i) => void builds[i].conv2d_max_pool2d_bwd_f32(...sizes, qh, qw, chunk, 1, 0, x, pdy, idx[0], py[0], wt, col[i], scratch[i], gw[i], gb[i], dx[i]),
        outputs: (i) => [gw[i], gb[i], dx[i]],
      },
    );
  }
if (only.includes('adam')) {
  const n = 1 << 20, g = f32(n, 4), state = twice(() => [f32(n, 3), f32(n), f32(n)] as const), none = f32(0);
  trials.push({
    name: `adam_step ${n}`,
    run: (i) => void builds[i].adam_step_f32(n, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.1, 0.001, state[i][0], g, state[i][1], state[i][2], none),
    // Each call moves the state on, so the two builds' states match only after the same number of calls (checked
    // after the warm-up pair, before the timed ones).
    outputs: (i) => [...state[i]],
  });
}

const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
console.log(`# bench:ab: A ${args.a}, B ${args.b}; ${PAIRS} alternating pairs per trial (A B, then B A), ${args.threads} thread(s); ${new Date().toISOString()}`);
console.log('| trial | A µs (median) | B µs (median) | A / B | same bits |');
console.log('|---|---|---|---|---|');
for (const t of trials) {
  t.run(0), t.run(1);
  const same = t.outputs(0).every((v, j) => bytes(v).equals(bytes(t.outputs(1)[j])));
  const times: [number[], number[]] = [[], []];
  for (let pair = 0; pair < PAIRS; pair++)
    for (const i of pair % 2 ? [1, 0] : [0, 1]) {
      const t0 = process.hrtime.bigint();
      t.run(i);
      times[i].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  const [ma, mb] = times.map(median);
  console.log(`| ${t.name} | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${(ma / mb).toFixed(3)}× | ${same ? 'yes' : 'no'} |`);
}
