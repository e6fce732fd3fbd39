/**
 * `descent train` and `descent predict` as a user runs them: spawned from dist/ (build first), on the js backend
 * where numbers are compared, so results are bit-reproducible. No timed assertions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS } from '../helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
const FAST = ['--backend', 'js', '--limit', '500', '--layers', '64-32-10', '--batch-size', '16'];

function descent(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function weights(file: string): Promise<Record<string, Float32Array>> {
  const { loadCheckpoint } = await import(join(root, 'dist/src/checkpoint.js'));
  const c = loadCheckpoint(file);
  return Object.fromEntries(Object.entries(c.model).map(([k, e]) => [k, (e as { data: Float32Array }).data]));
}

async function expectSameWeights(a: string, b: string): Promise<void> {
  const wa = await weights(a), wb = await weights(b);
  expect(Object.keys(wa)).toEqual(Object.keys(wb));
  for (const k of Object.keys(wa)) expect(Buffer.from(wb[k].buffer).equals(Buffer.from(wa[k].buffer)), `${k} differs`).toBe(true);
}

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -p tsconfig.json)`);
});

describe('descent train', () => {
  it('prints help and rejects unknown or malformed flags with exit code 2', () => {
    const help = descent('train', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--dataset NAME/);
    const bad = descent('train', '--learning-rate', '0.1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown option '--learning-rate'/);
    expect(descent('train', '--epoch', '3').stderr).toMatch(/did you mean '--epochs'/);
    expect(descent('train', '--lr', 'fast').stderr).toMatch(/--lr expects a positive number, received 'fast'/);
    expect(descent('train', '--optimizer', 'adamm').stderr).toMatch(/did you mean 'adam'/);
    expect(descent('train', '--optimizer', 'adam', '--momentum', '0.9').stderr).toMatch(/--momentum does not apply to --optimizer adam/);
    expect(descent('train', '--layers', '10-5', '--backend', 'js').stderr).toMatch(/--layers starts with 10, but the data has 64 features/);
  });

  it('takes every activation of the table, with parameters as NAME:k=v and checked ranges', () => {
    const help = descent('train', '--help').stdout;
    for (const name of ['relu', 'leaky_relu', 'elu', 'gelu', 'gelu_tanh', 'silu', 'softplus']) expect(help).toContain(name);
    for (const act of ['gelu_tanh', 'elu:alpha=0.5', 'softplus:beta=2,threshold=10']) {
      const r = descent('train', ...FAST, '--epochs', '2', '--json', '--activation', act);
      expect(r.code, `${act}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!).testAccuracy).toBeGreaterThan(0.3);
    }
    expect(descent('train', '--activation', 'elu:alhpa=1').stderr).toMatch(/--activation elu: unknown parameter 'alhpa' \(it takes alpha\)/);
    expect(descent('train', '--activation', 'softplus:beta=0').stderr).toMatch(/expected beta to be a finite number > 0, received 0/);
    expect(descent('train', '--activation', 'selu').code).toBe(2);
  });

  it('trains on the bundled digits and prints the summary and JSON epochs', () => {
    const r = descent('train', ...FAST, '--epochs', '3', '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['epoch', 'epoch', 'epoch', 'result']);
    expect(lines[3]).toMatchObject({ backend: 'js', epochs: 3, testRows: 359 });
    expect(lines[3].testAccuracy).toBeGreaterThan(0.5);
    expect(lines[3].confusion).toHaveLength(100);
    const text = descent('train', ...FAST, '--epochs', '1');
    expect(text.stdout).toMatch(/test accuracy [\d.]+%/);
    expect(text.stdout).toMatch(/true\\pred/);
    expect(text.stdout).toMatch(/samples\/s/);
  });

  it('trains on a CSV file with a named label column, and predict evaluates the saved model', () => {
    const rows = ['a,b,kind'];
    for (let i = 0; i < 300; i++) {
      const k = i % 3, a = (k - 1) * 3 + Math.sin(i), b = Math.cos(i * 7);
      rows.push(`${a.toFixed(4)},${b.toFixed(4)},${['cat', 'dog', 'eel'][k]}`);
    }
    writeFileSync(join(dir, 'toy.csv'), rows.join('\n'));
    const ckpt = join(dir, 'toy.ckpt');
    const r = descent('train', '--dataset', 'csv:toy.csv', '--label-column', 'kind', '--layers', '2-16-3', '--epochs', '40', '--lr', '0.01', '--backend', 'js', '--save', ckpt, '--json');
    expect(r.stderr).toMatch(/300|240/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).testAccuracy).toBeGreaterThan(0.9);
    const p = descent('predict', '--model', ckpt, '--input', 'toy.csv', '--json', '--output', 'pred.txt', '--backend', 'js');
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).accuracy).toBeGreaterThan(0.9);
    expect(readFileSync(join(dir, 'pred.txt'), 'utf8').trim().split('\n')).toHaveLength(300);
  });

  it('explains how to get Fashion-MNIST and MNIST when they are absent', () => {
    const f = descent('train', '--dataset', 'fashion-mnist', '--data', dir, '--backend', 'js');
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/apt-get install dataset-fashion-mnist/);
    const m = descent('train', '--dataset', 'mnist', '--backend', 'js');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--data DIR/);
  });

  it('resumes bit-identically: 4 epochs straight = 2 epochs + --resume to 4 (with scheduler and validation)', async () => {
    const common = [...FAST, '--scheduler', 'plateau', '--patience', '0', '--factor', '0.5', '--validation', '0.1', '--seed', '3'];
    const a = join(dir, 'straight.ckpt'), b = join(dir, 'resumed.ckpt');
    expect(descent('train', ...common, '--epochs', '4', '--save', a).code).toBe(0);
    expect(descent('train', ...common, '--epochs', '2', '--save', b).code).toBe(0);
    const r = descent('train', '--resume', b, '--epochs', '4', '--save', b, '--backend', 'js');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resuming .* after epoch 2/);
    await expectSameWeights(a, b);
    const changed = descent('train', '--resume', b, '--lr', '0.5');
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/--lr 0.5 differs from the checkpoint's/);
  });

  it('rejects a corrupt checkpoint with a clear message', () => {
    const good = join(dir, 'straight.ckpt'), bad = join(dir, 'bad.ckpt');
    const bytes = readFileSync(good);
    writeFileSync(bad, bytes.subarray(0, bytes.length >> 1));
    const r = descent('train', '--resume', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad.ckpt is not a usable checkpoint: .*truncated/);
    const p = descent('predict', '--model', bad, '--input', 'toy.csv');
    expect(p.code).not.toBe(0);
    expect(p.stderr).toMatch(/not a usable checkpoint/);
  });

  it('Ctrl-C saves a checkpoint mid-epoch and exits cleanly; resuming it matches an uninterrupted run', async () => {
    // Many small batches so SIGINT lands inside an epoch.
    const common = ['--backend', 'js', '--layers', '64-128-10', '--batch-size', '4', '--scheduler', 'step', '--step-size', '1', '--gamma', '0.7', '--seed', '5'];
    const straight = join(dir, 'int-straight.ckpt'), cut = join(dir, 'int-cut.ckpt');
    expect(descent('train', ...common, '--epochs', '12', '--save', straight).code).toBe(0);
    const child = spawn(process.execPath, [main, 'train', ...common, '--epochs', '12', '--save', cut], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    await new Promise<void>((resolve) =>
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (/epoch 1\/12/.test(stderr)) resolve();
      }),
    );
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/saved .*int-cut.ckpt \(epoch \d, batch \d+\); continue with: descent train --resume/);
    expect(stderr).not.toMatch(/Error|at .*\.js:\d+/);
    const r = descent('train', '--resume', cut, '--save', cut, '--backend', 'js');
    expect(r.code, r.stderr).toBe(0);
    await expectSameWeights(straight, cut);
  });

  it('takes a CSV file without the csv: prefix (by extension or by content) and says what else it takes', () => {
    writeFileSync(join(dir, 'toy-noext'), readFileSync(join(dir, 'toy.csv')));
    for (const dataset of ['toy.csv', 'toy-noext']) {
      const r = descent('train', '--dataset', dataset, '--layers', '2-8-3', '--epochs', '2', '--backend', 'js', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`csv:${dataset} \\(${dataset}\\): 240 training and 60 test rows of 2 features, 3 classes`));
    }
    const missing = descent('train', '--dataset', 'digitz', '--backend', 'js');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--dataset expects digits, fashion-mnist, mnist or a CSV file .*'digitz' is neither \(did you mean 'digits'\?\)/);
  });

  it('--test-file gives a separate test set (labels matched by name); --test-fraction 0 only with it', () => {
    // Train on the first 240 rows, test on the last 60, whose label names come in another order.
    const lines = readFileSync(join(dir, 'toy.csv'), 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'toy-train.csv'), [lines[0], ...lines.slice(1, 241)].join('\n'));
    writeFileSync(join(dir, 'toy-test.csv'), [lines[0], ...lines.slice(241).filter((l) => !l.endsWith('cat'))].join('\n'));
    const args = ['train', '--dataset', 'toy-train.csv', '--test-file', 'toy-test.csv', '--layers', '2-16-3', '--epochs', '30', '--lr', '0.01', '--backend', 'js', '--json'];
    for (const extra of [[], ['--test-fraction', '0']]) {
      const r = descent(...args, ...extra);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(result.testRows).toBe(40);
      expect(result.testAccuracy).toBeGreaterThan(0.9);
      expect(r.stderr).toMatch(/240 training and 40 test rows/);
    }
    expect(descent(...args, '--test-fraction', '0.2').stderr).toMatch(/--test-fraction 0.2 holds out test rows, but --test-file gives the test set/);
    const none = descent('train', '--dataset', 'toy.csv', '--test-fraction', '0', '--backend', 'js');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--test-fraction 0 leaves no test set: give --test-file FILE/);
    writeFileSync(join(dir, 'toy-alien.csv'), `${lines[0]}\n1,2,fox\n`);
    const alien = descent('train', '--dataset', 'toy-train.csv', '--test-file', 'toy-alien.csv', '--backend', 'js');
    expect(alien.code).toBe(2);
    expect(alien.stderr).toMatch(/toy-alien.csv: label 'fox' is not among the training classes \(cat, dog, eel\)/);
  });

  it('an empty test or validation split is an error before training, not a crash after it', () => {
    const test = descent('train', '--dataset', 'toy.csv', '--test-fraction', '0.001', '--backend', 'js');
    expect(test.code).toBe(2);
    expect(test.stderr).toMatch(/the test set is empty: --test-fraction 0.001 of 300 rows holds out none; use --test-fraction ≥ 0.0033 or --test-file FILE/);
    const val = descent('train', '--dataset', 'toy.csv', '--validation', '0.001', '--backend', 'js');
    expect(val.code).toBe(2);
    expect(val.stderr).toMatch(/the validation set is empty/);
    for (const r of [test, val]) {
      expect(r.stderr).not.toMatch(/epoch 1|Trainer\.predict/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('predict --output writes label names when the training data had names', () => {
    const p = descent('predict', '--model', join(dir, 'toy.ckpt'), '--input', 'toy.csv', '--output', 'names.txt', '--backend', 'js');
    expect(p.code, p.stderr).toBe(0);
    const written = readFileSync(join(dir, 'names.txt'), 'utf8').trim().split('\n');
    const truth = readFileSync(join(dir, 'toy.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[2]);
    expect(new Set(written)).toEqual(new Set(['cat', 'dog', 'eel']));
    expect(written.filter((w, i) => w === truth[i]).length / truth.length).toBeGreaterThan(0.9);
  });

  it('--save-every N writes every N epochs and at the end; checkpoint time is reported apart from training time', async () => {
    const file = join(dir, 'every.ckpt');
    const r = descent('train', ...FAST, '--epochs', '5', '--save-every', '2', '--save', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(result.checkpoints).toBe(3); // epochs 2, 4 and the last, 5
    expect(result.saveSeconds).toBeGreaterThan(0);
    const { loadCheckpoint } = await import(join(root, 'dist/src/checkpoint.js'));
    expect(loadCheckpoint(file).epoch).toBe(5);
    const unsaved = JSON.parse(descent('train', ...FAST, '--epochs', '1', '--json').stdout.trim().split('\n').pop()!);
    expect(unsaved).toMatchObject({ checkpoints: 0, saveSeconds: 0 });
    expect(descent('train', '--save-every', '0').stderr).toMatch(/--save-every expects a positive integer, received '0'/);
  });

  it('--threads sets the native thread pool and the wasm team, and is refused for js', () => {
    const native = BACKENDS.some((b) => b.name === 'native');
    const r = descent('train', ...FAST.slice(2), '--threads', '1', '--epochs', '1', '--json'); // automatic backend
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    if (native) {
      expect(result).toMatchObject({ backend: 'native', threads: 1 });
      expect(result.backendDetail).toMatch(/\b1 thread\b/);
      const two = JSON.parse(descent('train', ...FAST.slice(2), '--backend', 'native', '--threads', '2', '--epochs', '1', '--json').stdout.trim().split('\n').pop()!);
      expect(two).toMatchObject({ backend: 'native', threads: 2 });
    } else {
      expect(result).toMatchObject({ backend: 'wasm', threads: 1 });
    }
    // Node has SharedArrayBuffer and workers, so wasm loads its threaded module.
    const wasm = descent('train', ...FAST.slice(2), '--backend', 'wasm', '--threads', '2', '--epochs', '1', '--json');
    expect(wasm.code, wasm.stderr).toBe(0);
    const two = JSON.parse(wasm.stdout.trim().split('\n').pop()!);
    expect(two).toMatchObject({ backend: 'wasm', threads: 2 });
    expect(two.backendDetail).toMatch(/\b2 threads \(shared memory\)/);
    const refused = descent('train', '--backend', 'js', '--threads', '2');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--threads applies to the native and wasm backends; the js backend runs on one thread/);
  });

  it("the README's CSV example reaches a good accuracy on iris", () => {
    // Iris (Fisher 1936, UCI Machine Learning Repository, CC BY 4.0) as the README's example uses it.
    copyFileSync(join(root, 'test/fixtures/iris.csv'), join(dir, 'iris.csv'));
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const line = /^npx (descent train --dataset iris\.csv .*)$/m.exec(readme);
    expect(line, 'the README shows `npx descent train --dataset iris.csv …`').not.toBeNull();
    const args = line![1].replace(/\s+#.*$/, '').split(/\s+/).slice(1);
    const r = descent(...args, '--backend', 'js', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).testAccuracy).toBeGreaterThanOrEqual(0.9);
  });
});
