/**
 * DESCENT_POOL_TRACE, the pool's timing that bench:pool-trace reads: a child process runs team GEMMs on 2 threads
 * with it set, and the file it leaves must hold what the bench relies on: every task with wall times only (the
 * thread clock per task made the traced calls slower), one drain per thread and job with that thread's CPU time,
 * the tasks of a thread inside its drains, and the jobs themselves.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TASK = 1, JOB = 2, DRAIN = 4;

describe('native pool trace', () => {
  it('records tasks (wall time), per-thread drains with CPU time, and jobs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-trace-'));
    try {
      const file = join(dir, 'trace.txt');
      // 256³ is above the pool's split threshold, so each call is a team job on both threads.
      const root = new URL('../..', import.meta.url).pathname;
      const path = process.env.DESCENT_NATIVE_PATH ?? '';
      const script = `
        const addon = ${path ? `require(${JSON.stringify(path)})` : `require('node-gyp-build')(${JSON.stringify(root)})`};
        const n = 256, a = new Float32Array(n * n).fill(0.5), c = new Float32Array(n * n);
        for (let i = 0; i < 20; i++) addon.gemm_f32(0, 0, n, n, n, 1, a, a, 0, c);
        if (c[0] !== 64 || addon.info().threads !== 2) throw new Error('gemm gave ' + c[0]);`;
      const run = spawnSync(process.execPath, ['-e', script], {
        cwd: root,
        env: { ...process.env, DESCENT_POOL_TRACE: file, DESCENT_THREADS: '2' },
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
      const of = (kind: number) => events.filter((e) => e[3] === kind);
      const tasks = of(TASK), drains = of(DRAIN), jobs = of(JOB);
      expect(jobs.length).toBeGreaterThanOrEqual(20);
      expect(tasks.length).toBeGreaterThanOrEqual(40);
      for (const [t0, t1, , , , cpu] of tasks) {
        expect(t1).toBeGreaterThanOrEqual(t0);
        expect(cpu).toBe(-1);
      }
      // Both threads drained jobs, each drain with a CPU time no longer than its wall time (plus clock granularity).
      expect(new Set(drains.map((e) => e[2]))).toEqual(new Set([0, 1]));
      for (const [t0, t1, , , , cpu] of drains) {
        expect(cpu).toBeGreaterThanOrEqual(0);
        expect(cpu).toBeLessThanOrEqual(t1 - t0 + 1e6);
      }
      // Every task ran inside a drain of the thread that ran it.
      for (const [t0, t1, thread] of tasks)
        expect(drains.some((d) => d[2] === thread && d[0] <= t0 && t1 <= d[1])).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
