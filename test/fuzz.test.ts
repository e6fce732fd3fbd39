/**
 * The seeded fuzzers in the suite (issue 12): a fixed block of seeds, each API case on every backend and each
 * reader case once, run in a child process (from dist/: build first) so a crash or a hang is observed rather than
 * taking the suite down. Any failing seed is replayed alone with `npm run fuzz -- --seed <seed> --cases 1`; longer
 * runs before releases: `npm run fuzz -- --cases 20000`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const runner = join(root, 'dist/fuzz/run.js');
const SEED = 1, CASES = 300, LIMIT_MS = 120_000;

interface Summary {
  apiCases: number;
  readerCases: number;
  backends: string[];
  failures: { seed: number; kind: string; problems: string[] }[];
  outcomes: Record<string, number>;
}

function fuzz(): Promise<{ code: number | null; signal: string | null; summary: Summary | null; lastCase: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, '--seed', String(SEED), '--cases', String(CASES), '--json'], { cwd: root, env: process.env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lastCase = stderr.match(/case (\d+)\n(?![\s\S]*case \d+\n)/)?.[1] ?? '?';
      let summary: Summary | null = null;
      try {
        summary = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Summary;
      } catch {
        summary = null;
      }
      resolve({ code, signal, summary, lastCase, stderr });
    });
  });
}

beforeAll(() => {
  if (!existsSync(runner)) throw new Error(`${runner} is missing: build first (npx tsc -p tsconfig.json)`);
});

describe('fuzzing', () => {
  it(`seeds ${SEED}…${SEED + CASES - 1}: no crash, no hang, coded errors, the same code on every backend, no weights changed by a rejected call`, async () => {
    const r = await fuzz();
    const replay = `npm run fuzz -- --seed ${r.lastCase} --cases 1`;
    expect(r.signal, `the fuzzer hung or was killed at case ${r.lastCase}; replay: ${replay}`).toBeNull();
    expect(r.summary, `the fuzzer crashed (exit ${r.code}) at case ${r.lastCase}; replay: ${replay}\n${r.stderr.slice(-2000)}`).not.toBeNull();
    const s = r.summary!;
    const report = s.failures.map((f) => `seed ${f.seed} (${f.kind}): ${f.problems.join('; ')} — replay: npm run fuzz -- --seed ${f.seed} --cases 1`).join('\n');
    expect(s.failures, report).toEqual([]);
    expect(r.code).toBe(0);
    expect(s.apiCases).toBe(CASES);
    expect(s.readerCases).toBe(CASES);
    if (process.env.DESCENT_REQUIRE_BACKENDS) for (const b of process.env.DESCENT_REQUIRE_BACKENDS.split(',')) expect(s.backends).toContain(b);
    // The cases reach past the checks: some calls succeed and some are rejected, for the API and every reader.
    const kinds = Object.keys(s.outcomes);
    for (const reader of ['checkpoint', 'idx', 'csv']) {
      expect(kinds.some((k) => k.startsWith(`${reader} → ERR_`)), `${reader} never rejected`).toBe(true);
      expect(kinds.some((k) => k === `${reader} → ok`), `${reader} never accepted`).toBe(true);
    }
    expect(kinds.filter((k) => !/^(checkpoint|idx|csv) /.test(k) && k.endsWith('→ ok')).length).toBeGreaterThan(5);
    expect(kinds.filter((k) => !/^(checkpoint|idx|csv) /.test(k) && / ERR_/.test(k)).length).toBeGreaterThan(5);
  }, LIMIT_MS + 30_000);
});
