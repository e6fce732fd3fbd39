/**
 * `npm run bench:pool-trace`: where a multithreaded training step of the native backend works and where it waits.
 * For each thread count, a child process trains the MLP 784-256-128-10 (ReLU, Adam, batch 128; or a CNN of
 * bench/shapes.ts with `--model`) with `DESCENT_POOL_TRACE` set, so the addon's pool times every job and task
 * (native/pool.cc), while the child times every kernel call from JavaScript. Each kernel call of a step is one row,
 * in step order: its time (median and 10th percentile over the traced steps), the CPU time each thread spent running
 * its share of the call's jobs ("busy", median; at 1 thread the call's jobs), and how many jobs it ran. Kernel calls that never reach
 * the pool are rows without busy time. The step minus the rows is JavaScript (and the timing wrappers).
 *
 * Busy time is thread CPU time, which a thread descheduled by another process does not accrue, so it holds on a
 * loaded machine where wall times do not: busy time over all threads above the 1-thread busy time (the "work"
 * column) is work the split made slower (typically data moving between the cores' caches), and the busiest thread bounds the call's time on
 * an idle machine. The 10th percentiles approximate an idle machine when at least a tenth of the calls ran
 * undisturbed; the medians do not.
 *
 *   npm run bench:pool-trace -- [--threads 1,2] [--steps 300] [--model mlp]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBackend, setBackend, setThreads } from '../src/index.js';
import { trainTrial, TRAIN_TRIALS } from './shapes.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '300' },
    model: { type: 'string', default: 'mlp' },
    child: { type: 'string' },
  },
});

interface Call {
  name: string;
  t0: number;
  t1: number;
}

function findTrial(model: string) {
  const trial = TRAIN_TRIALS.find((t) => t.name.startsWith(model === 'mlp' ? 'mlp 784' : `${model} `));
  if (!trial) throw new Error(`--model: one of mlp, ${TRAIN_TRIALS.filter((t) => t.cnn).map((t) => t.name.split(' ')[0]).join(', ')}`);
  return trial;
}

/** Child: trains with every kernel call timed (process.hrtime: the pool's steady clock), writes the calls. */
async function child(out: string): Promise<void> {
  const backend = await loadBackend('native');
  setBackend(backend);
  setThreads(Number(process.env.POOL_TRACE_THREADS));
  const { model, step } = trainTrial(findTrial(args.model!));
  const steps = Number(args.steps);
  for (let i = 0; i < 100; i++) step();
  const k = backend.k as unknown as Record<string, (...a: unknown[]) => void>;
  const calls: Call[] = [];
  const starts: number[] = [];
  for (const name of Object.keys(k)) {
    const fn = k[name];
    k[name] = (...a: unknown[]) => {
      const t0 = Number(process.hrtime.bigint());
      fn(...a);
      calls.push({ name, t0, t1: Number(process.hrtime.bigint()) });
    };
  }
  for (let i = 0; i < steps; i++) {
    starts.push(Number(process.hrtime.bigint()));
    step();
  }
  starts.push(Number(process.hrtime.bigint()));
  writeFileSync(out, JSON.stringify({ calls, starts }));
  model.dispose();
}

interface Row {
  name: string;
  us: number[];
  busy: number[][];
  jobs: number[];
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) * p)] : 0;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : 0;
};

/** Parent: one child per thread count, then the per-call table. */
function traceAt(threads: number, dir: string): { rows: Row[]; stepUs: number[] } {
  const events = join(dir, `pool-${threads}.txt`), calls = join(dir, `calls-${threads}.json`);
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', calls, '--steps', args.steps!, '--model', args.model!], {
    env: { ...process.env, DESCENT_POOL_TRACE: events, POOL_TRACE_THREADS: String(threads) },
    stdio: 'inherit',
  });
  const { calls: list, starts } = JSON.parse(readFileSync(calls, 'utf8')) as { calls: Call[]; starts: number[] };
  // Events: t0 t1 thread kind index cpu (kind 1 task, 2 job, 3 team, 4 a thread's drain of a job), sorted by start.
  if (!existsSync(events)) throw new Error(`the addon wrote no trace to ${events}: it predates DESCENT_POOL_TRACE (rebuild it: npm run build:native)`);
  const ev = readFileSync(events, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number)).filter((e) => e[0] >= starts[0]);
  ev.sort((a, b) => a[0] - b[0]);
  const rows: Row[] = [];
  const stepUs: number[] = [];
  let e = 0, c = 0;
  for (let s = 0; s + 1 < starts.length; s++) {
    stepUs.push((starts[s + 1] - starts[s]) / 1000);
    for (let slot = 0; c < list.length && list[c].t0 < starts[s + 1]; c++, slot++) {
      const call = list[c];
      const row = (rows[slot] ??= { name: call.name, us: [], busy: Array.from({ length: threads }, () => []), jobs: [] });
      // Busy: each thread's CPU time in its drains of the call's team jobs; a serial job's own CPU time otherwise.
      const busy = new Array(threads).fill(0), jobBusy = new Array(threads).fill(0);
      let jobs = 0, drains = 0;
      while (e < ev.length && ev[e][0] < call.t0) e++;
      for (let i = e; i < ev.length && ev[i][0] < call.t1; i++) {
        const [t0, t1, thread, kind, , cpu] = ev[i];
        const spent = cpu >= 0 ? cpu : t1 - t0;
        if (kind === 4) (busy[thread] += spent), drains++;
        if (kind === 2) (jobBusy[thread] += spent), jobs++;
      }
      row.us.push((call.t1 - call.t0) / 1000);
      row.jobs.push(jobs);
      (drains ? busy : jobBusy).forEach((b, t) => row.busy[t].push(b / 1000));
    }
  }
  return { rows, stepUs };
}

if (args.child) await child(args.child);
else {
  const counts = args.threads!.split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'descent-pool-trace-'));
  const load = loadavg();
  let results: ReturnType<typeof traceAt>[];
  try {
    results = counts.map((t) => traceAt(t, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`# native pool trace, ${findTrial(args.model!).name}, ${args.steps} steps per thread count; ${new Date().toISOString()}`);
  console.log(`# load average before ${load.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const head = counts.map((t) => `${t} thr µs median (p10) | busy CPU µs per thread | jobs`).join(' | ');
  console.log(`| # | kernel call | ${head} | ${counts.slice(1).map((t) => `${counts[0]}→${t} (p10) | work ${counts[0]}→${t}`).join(' | ')} |`);
  console.log(`|${'---|'.repeat(2 + 3 * counts.length + 2 * (counts.length - 1))}`);
  const us = (r: Row, p: number) => (p < 0 ? median(r.us) : percentile(r.us, p));
  const base = results[0];
  base.rows.forEach((row, i) => {
    const cells = results.map(({ rows }) => {
      const r = rows[i];
      if (!r || r.name !== row.name) return '— | — | —';
      return `${us(r, -1).toFixed(1)} (${us(r, 0.1).toFixed(1)}) | ${r.busy.map((b) => median(b).toFixed(1)).join(' / ')} | ${median(r.jobs)}`;
    });
    // Work: all threads' busy time over the first count's (medians): above 1× the split made the work slower.
    const work = (r: Row) => r.busy.reduce((sum, b) => sum + median(b), 0);
    const speedups = results.slice(1).map(({ rows }) => {
      const r = rows[i];
      if (!r) return '— | —';
      return `${(us(row, 0.1) / us(r, 0.1)).toFixed(2)}× | ${work(row) > 0 && work(r) > 0 ? `${(work(r) / work(row)).toFixed(2)}×` : '—'}`;
    });
    console.log(`| ${i} | ${row.name} | ${cells.join(' | ')} | ${speedups.join(' | ')} |`);
  });
  // The rest per step: each step's time minus its calls' (rows are in step order, one value per step).
  const rest = (r: { rows: Row[]; stepUs: number[] }) => r.stepUs.map((step, s) => step - r.rows.reduce((sum, row) => sum + (row.us[s] ?? 0), 0));
  const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${percentile(xs, 0.1).toFixed(1)})`;
  console.log(`| | the rest (JavaScript, timing wrappers) | ${results.map((r) => `${fmt(rest(r))} | | `).join(' | ')} | ${results.slice(1).map(() => ' | ').join(' | ')} |`);
  console.log(`| | **step** | ${results.map((r) => `${fmt(r.stepUs)} | | `).join(' | ')} | ${results.slice(1).map((r) => `${(percentile(base.stepUs, 0.1) / percentile(r.stepUs, 0.1)).toFixed(2)}× | `).join(' | ')} |`);
  // What an idle machine would give: per call the busiest thread's CPU time where the call ran tasks (its 10th
  // percentile wall time otherwise), plus the rest's 10th percentile.
  const bound = (r: { rows: Row[]; stepUs: number[] }) =>
    r.rows.reduce((sum, row) => sum + (median(row.jobs) > 0 ? Math.max(...row.busy.map(median)) : us(row, 0.1)), 0) + percentile(rest(r), 0.1);
  console.log(`# busiest-thread estimate of the step: ${results.map((r, i) => `${counts[i]} thr ${bound(r).toFixed(1)} µs`).join(', ')}${results.length > 1 ? `; ${counts[0]}→${counts[1]} ${(bound(base) / bound(results[1])).toFixed(2)}×` : ''}`);
}
