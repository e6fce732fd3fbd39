/**
 * `npm run fuzz -- [--seed S] [--cases N] [--backends native,wasm,js] [--only api|readers] [--json]`
 *
 * Plays cases S … S+N−1. Each API case runs on every backend (js first, the reference) and must give the same
 * error code everywhere (or a result within float32 tolerance of js), never an uncoded error, never weights
 * changed by a rejected call, never a model left unusable. Each reader case mutates a checkpoint, IDX pair or
 * CSV text. With --json, writes `case <seed>` to stderr before each case (a parent process that times out knows which one
 * hung); prints a summary, and for every failing case the command that replays it alone. Exit code 1 when any case failed.
 */
import { parseArgs } from 'node:util';
import { availableBackends, loadBackend, type Backend } from '../src/index.js';
import { apiCase, compareOutcomes, type Outcome } from './api.js';
import { readerCase } from './readers.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    cases: { type: 'string', default: '200' },
    backends: { type: 'string' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const first = Number(args.seed), cases = Number(args.cases);
if (!Number.isSafeInteger(first) || !Number.isSafeInteger(cases) || cases < 1) {
  console.error('fuzz: --seed expects an integer and --cases a positive integer');
  process.exit(2);
}
const wanted = args.backends?.split(',');
const backends: Backend[] = [];
for (const info of await availableBackends()) {
  if (info.available && (!wanted || wanted.includes(info.name))) backends.push(await loadBackend(info.name));
}
backends.sort((a, b) => (a.name === 'js' ? -1 : b.name === 'js' ? 1 : 0));

const failures: { seed: number; kind: string; problems: string[] }[] = [];
const codes: Record<string, number> = {};
let apiCases = 0, readerCases = 0;
const started = performance.now();
for (let seed = first; seed < first + cases; seed++) {
  if (args.json) process.stderr.write(`case ${seed}\n`);
  if (args.only !== 'readers') {
    const outcomes: Outcome[] = [];
    for (const b of backends) outcomes.push(await apiCase(seed, b));
    const problems = outcomes.flatMap((o, i) => o.problems.map((p) => `${backends[i].name}: ${p}`));
    for (let i = 1; i < outcomes.length; i++) problems.push(...compareOutcomes(outcomes[0], outcomes[i], backends[i].name));
    const key = `${outcomes[0].op} → ${outcomes[0].code ?? 'ok'}`;
    codes[key] = (codes[key] ?? 0) + 1;
    if (problems.length) failures.push({ seed, kind: 'api', problems });
    apiCases++;
  }
  if (args.only !== 'api') {
    const r = readerCase(seed);
    const key = `${r.reader} → ${r.code ?? 'ok'}`;
    codes[key] = (codes[key] ?? 0) + 1;
    if (r.problems.length) failures.push({ seed, kind: r.reader, problems: r.problems });
    readerCases++;
  }
}
const seconds = (performance.now() - started) / 1000;
const summary = { first, cases, backends: backends.map((b) => b.name), apiCases, readerCases, seconds: Number(seconds.toFixed(1)), failures, outcomes: codes };
if (args.json) console.log(JSON.stringify(summary));
else {
  console.log(`fuzz: seeds ${first}…${first + cases - 1}: ${apiCases} API cases × ${backends.length} backends (${backends.map((b) => b.name).join(', ')}), ${readerCases} reader cases in ${seconds.toFixed(1)}s; ${failures.length} failing`);
  for (const [key, n] of Object.entries(codes).sort()) console.log(`  ${String(n).padStart(5)}  ${key}`);
  for (const f of failures) {
    console.log(`\nFAIL seed ${f.seed} (${f.kind}); replay: npm run fuzz -- --seed ${f.seed} --cases 1${f.kind === 'api' ? ' --only api' : ' --only readers'}`);
    for (const p of f.problems) console.log(`  ${p}`);
  }
}
process.exitCode = failures.length ? 1 : 0;
