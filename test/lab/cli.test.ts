/**
 * `descent lab` end to end: spawns the built CLI (CI builds before testing). Small widths keep it quick.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'dist/src/cli/main.js');
if (!existsSync(join(root, 'dist/src/cli/lab.js'))) {
  throw new Error(`dist/src/cli/lab.js is missing: run 'npx tsc -p tsconfig.json' (npm run build:ts) before the CLI tests`);
}

const lab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, 'lab', ...args], { encoding: 'utf8', env: { ...process.env, DESCENT_BACKEND: 'js' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const out = mkdtempSync(join(tmpdir(), 'descent-lab-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('descent lab', () => {
  it('--help on the lab and on every experiment', () => {
    const top = lab('--help');
    expect(top.code).toBe(0);
    for (const e of ['activations', 'init', 'optimizers']) {
      expect(top.out).toContain(`descent lab ${e}`);
      const r = lab(e, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain('--out DIR');
    }
    expect(lab('init', '--help').out).toContain('--width N');
  });

  it('activations: prints the derivative table and writes activations.svg', () => {
    const r = lab('activations', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sigmoid\s.*0\.25/);
    expect(readFileSync(join(out, 'activations.svg'), 'utf8')).toContain('<svg');
  });

  it('init: prints per-layer statistics and writes one picture per activation × init', () => {
    const r = lab('init', '--activation', 'tanh', '--init', 'small:0.01,xavier', '--depth', '4', '--width', '256', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toContain('init smallRandom(0.01)');
    expect(r.out.match(/^layer 4 /gm)).toHaveLength(2);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['init-tanh-small0.01.svg', 'init-tanh-xavier.svg']));
  });

  it('optimizers: a table per surface and optimizers-<surface>.svg', () => {
    const r = lab('optimizers', '--surface', 'saddle,ravine', '--optimizers', 'sgd,momentum,rmsprop,adam', '--steps', '50', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^momentum\s/m);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['optimizers-saddle.svg', 'optimizers-ravine.svg']));
  });

  it.each([
    [['init', '--widht', '8'], /unknown option '--widht'; did you mean '--width'\?/],
    [['init', '--width', 'big'], /--width expects an integer/],
    [['init', '--init', 'xavir'], /unknown initialiser 'xavir'; did you mean 'xavier'\?/],
    [['init', '--activation', 'tanhh'], /--activation expects one of .*received 'tanhh'; did you mean 'tanh'\?/],
    [['optimizers', '--surface', 'sadle'], /did you mean 'saddle'\?/],
    [['optimizers', '--start', '1'], /--start expects X,Y/],
    [['optimizers', '--lr', '0'], /--lr expects a positive number, received '0'/],
    [['activations', '--from', '2', '--to', '1'], /--to \(1\) must be greater than --from \(2\)/],
    [['activations', '--out'], /--out needs a value \(DIR\)/],
    [['activatons'], /unknown experiment 'activatons'; did you mean 'activations'\?/],
    [['init', 'extra'], /unexpected argument 'extra'/],
  ])('rejects %j with a clear message and exit code 2', (args, message) => {
    const r = lab(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('no experiment: usage and a non-zero exit', () => {
    const r = lab();
    expect(r.code).toBe(2);
    expect(r.out).toContain('usage: descent lab');
  });
});
