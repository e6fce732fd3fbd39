/**
 * The kernel table (KERNEL_SIGNATURES) drives the doors: its rules compile at load (a malformed record fails the
 * import, naming the kernel), the generated doors (native/kernels.gen.inc, src/backends/kernels.gen.ts) must match
 * it, backends that lack a kernel of the table refuse to load with ERR_BACKEND naming it, and the addon never
 * selects an ISA table with a null function pointer.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { evaluate, holds, KERNEL_SIGNATURES, KERNELS, parseSignature } from '../src/kernels.js';
import { rng } from './helpers.js';

const root = new URL('..', import.meta.url).pathname;

describe('kernel table', () => {
  it('parses every record, with a length rule on every array and values only on int32 arrays', () => {
    expect(Object.keys(KERNELS)).toEqual(Object.keys(KERNEL_SIGNATURES));
    for (const [name, spec] of Object.entries(KERNELS)) {
      expect(spec.args.length, name).toBe(KERNEL_SIGNATURES[name as keyof typeof KERNELS].trim().split(/\s+(?![^[]*\])/).length);
      for (const a of spec.args) {
        expect(a.lenExpr !== undefined, `${name}.${a.name}`).toBe(a.kind === 'f32' || a.kind === 'i32');
        if (a.valuesExpr) expect(a.kind).toBe('i32');
      }
    }
  });

  it('evaluates rules with integer division, precedence and parentheses like a direct computation', () => {
    const spec = parseSignature('t', 'a:size b:size>=1 c:size f:flag x:f32[a*(b+c)/b+2*f] y:f32[a/b*c+a/4] z:i32[a]{c*c+1}');
    const [x, y, z] = spec.args.slice(4);
    const r = rng(3);
    for (let i = 0; i < 200; i++) {
      const a = r.int(50), b = 1 + r.int(7), c = r.int(9), f = r.int(2);
      const args = [a, b, c, f];
      expect(evaluate(x.lenExpr!.code, args)).toBe(Math.floor((a * (b + c)) / b) + 2 * f);
      expect(evaluate(y.lenExpr!.code, args)).toBe(Math.floor(a / b) * c + Math.floor(a / 4));
      expect(evaluate(z.valuesExpr!.code, args)).toBe(c * c + 1);
    }
    expect(x.lenExpr!.text).toBe('a·(b+c)/b+2·f');
  });

  it('compiles conditions: flag, !flag and name>0', () => {
    const spec = parseSignature('t', 'n:size s:scalar f:flag a:f32[n if f] b:f32[n if !f] c:f32[n if s>0]');
    const [a, b, c] = spec.args.slice(3).map((x) => x.whenCond!);
    expect([a.text, b.text, c.text]).toEqual(['f', '!f', 's > 0']);
    expect([holds(a, [1, 0, 1]), holds(b, [1, 0, 1]), holds(c, [1, 0.5, 0]), holds(c, [1, NaN, 0])]).toEqual([true, false, true, false]);
  });

  it('rejects malformed records at load, naming the kernel and argument', () => {
    const bad: [string, RegExp][] = [
      ['n:size x:f32[n*q]', /conv_x\.x: 'q' in 'n\*q' is not a size or flag/],
      ['n:size s:scalar x:f32[n*s]', /'s' in 'n\*s' is not a size or flag/],
      ['n:size c:size x:f32[n/c]', /divisor in 'n\/c' must be a positive integer or a size>=1/],
      ['n:size x:f32[n/0]', /divisor/],
      ['n:size x:f32[n-1]', /unexpected '-'/],
      ['n:size x:f32[(n]', /missing '\)'/],
      ['n:size x:f32[n if q]', /'q' in condition 'q' is not a flag/],
      ['n:size s:scalar x:f32[n if s]', /'s' in condition 's' is not a flag/],
      ['n:size x:f32[n if n<0]', /condition 'n<0'/],
      ['n:size n:flag', /conv_x\.n: duplicate argument name/],
      ['n:scalar>=1', /'>=' applies to sizes only/],
      ['n:size? x:f32[n]', /'\?' applies to arrays only/],
      ['n:size x:f32[n]{n}', /'\{values\}' applies to i32 arrays only/],
      ['n:size x:f32', /arrays need \[len\]/],
      ['n:size x:f64[n]', /cannot parse conv_x argument 'x:f64\[n\]'/],
    ];
    for (const [signature, pattern] of bad) expect(() => parseSignature('conv_x', signature), signature).toThrow(pattern);
  });

  it('has generated doors that match the table (run `npm run gen:kernels` after editing it)', () => {
    const run = spawnSync(process.execPath, [join(root, 'native/gen-kernels.mjs'), '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('backends missing a kernel of the table', () => {
  afterEach(() => {
    delete process.env.DESCENT_NATIVE_PATH;
    vi.resetModules();
  });

  it('wasm: a module without one kernel export is ERR_BACKEND naming it', async () => {
    const { wasmBackendFromInstance } = await import('../src/backends/wasm.js');
    const { readFileSync } = await import('node:fs');
    const real = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(root, 'dist/wasm/descent.wasm'))), { env: { abort() {} } });
    const exports = { ...real.exports } as Record<string, unknown>;
    delete exports.col_sum_f32;
    expect(() => wasmBackendFromInstance({ exports } as unknown as WebAssembly.Instance, false)).toThrow(
      expect.objectContaining({ code: 'ERR_BACKEND', message: expect.stringContaining('col_sum_f32') }),
    );
    expect(() => wasmBackendFromInstance(real, false)).not.toThrow();
  });

  it('native: an addon without one kernel is ERR_BACKEND naming it, and the registry records the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-addon-'));
    try {
      const fake = join(dir, 'fake.cjs');
      const addon = join(root, 'build/Release/descent.node');
      writeFileSync(fake, `const a = { ...require(${JSON.stringify(addon)}) }; delete a.mse_f32; module.exports = a;`);
      process.env.DESCENT_NATIVE_PATH = fake;
      vi.resetModules();
      const d = await import('../src/index.js');
      const info = (await d.availableBackends()).find((i) => i.name === 'native')!;
      expect(info.available).toBe(false);
      expect(info.reason).toMatch(/lacks kernel mse_f32/);
      await expect(d.loadBackend('native')).rejects.toMatchObject({ code: 'ERR_BACKEND', message: expect.stringContaining('mse_f32') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('native ISA tables', () => {
  it('never selects a table with a null function pointer, and says why it refused it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-isa-'));
    try {
      const exe = join(dir, 'isa-check');
      execFileSync('c++', ['-std=c++17', '-O1', '-o', exe, join(root, 'test/native/isa-table-check.cc'), join(root, 'native/cpu.cc')]);
      const run = (env: Record<string, string>, ...args: string[]) =>
        Object.fromEntries(
          execFileSync(exe, args, { env: { ...process.env, DESCENT_ISA: '', ...env }, encoding: 'utf8' })
            .trim()
            .split('\n')
            .map((l) => l.split('=')),
        ) as Record<string, string>;
      const complete = run({}, 'none');
      expect(complete.refused).toBe('');
      const entries = Number(complete.entries);
      expect(entries).toBeGreaterThan(10);
      // Only the scalar table may be used, and it has a hole: no table at all (the addon then refuses to load).
      for (const hole of [0, 5, entries - 1]) {
        const r = run({ DESCENT_ISA: 'scalar' }, 'scalar', String(hole));
        expect(r).toMatchObject({ selected: 'none', select_broken: '0', refused: `scalar: function pointer ${hole} of isa_table is null` });
      }
      // The best supported table has a hole: the next one is chosen, and switching to the broken one is refused.
      const best = complete.selected;
      const r = run({}, best, '3');
      expect(r.selected).not.toBe(best);
      expect(r.select_broken).toBe('0');
      expect(r.refused).toBe(`${best}: function pointer 3 of isa_table is null`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
