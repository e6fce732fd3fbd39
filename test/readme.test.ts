/**
 * The README's code runs as pasted. Blocks marked `<!-- runnable: NAME -->` are joined per NAME in order (a
 * reader pastes them one after the other), type-checked under --strict against the built package's .d.ts, and
 * run with Node from a folder inside the package, so `import … from 'descent-nn'` resolves to this package (needs
 * `npm run build`). The browser recipes must be the files under examples/browser/ verbatim, since
 * test/browser/bundlers.test.ts builds and runs those files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ESBUILD_COMMAND } from './browser/chromium.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** NAME → the blocks marked with it, in README order. */
function runnableBlocks(): Map<string, string[]> {
  const programs = new Map<string, string[]>();
  for (const m of readme.matchAll(/<!-- runnable: ([\w-]+) -->\n```(?:ts|js)\n([\s\S]*?)\n```/g)) {
    programs.set(m[1], [...(programs.get(m[1]) ?? []), m[2]]);
  }
  return programs;
}

describe('README', () => {
  const programs = runnableBlocks();

  it('has the quick start marked runnable', () => {
    expect(programs.get('quickstart')?.length).toBe(2);
  });

  for (const [name, blocks] of programs) {
    it(`'${name}' type-checks under --strict and runs as pasted`, () => {
      const dir = mkdtempSync(join(root, '.readme-'));
      try {
        const source = blocks.join('\n\n');
        const file = join(dir, `${name}.mts`);
        writeFileSync(file, source);
        const options: ts.CompilerOptions = {
          strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node'], skipLibCheck: true,
          typeRoots: [join(root, 'node_modules/@types')],
        };
        const program = ts.createProgram([file], options);
        const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        expect(diagnostics, `README block '${name}' does not compile`).toEqual([]);
        const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
        writeFileSync(join(dir, `${name}.mjs`), js);
        const out = execFileSync(process.execPath, [`${name}.mjs`], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
        if (name === 'quickstart') {
          const accuracy = Number(/accuracy ([\d.]+) %/.exec(out)?.[1]);
          expect(accuracy, out).toBeGreaterThan(90);
          expect(out).toContain('restored predicts the same: true');
          expect(out).toMatch(/^row 0: class \d with p = 0\.\d{3} \(true class \d\)$/m);
        }
        if (name === 'cnn') expect(out.trim().split('\n').pop()).toBe('true [ 10 ]');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('shows every browser recipe under examples/browser/ verbatim, and the esbuild command the test runs', () => {
    const dir = join(root, 'examples/browser');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /(main|worker|vite\.config)\.js$|importmap\/index\.html$/.test(f) && statSync(join(dir, f)).isFile());
    expect(files.length).toBeGreaterThanOrEqual(6);
    const blocks = [...readme.matchAll(/```(?:js|html)\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8').trimEnd();
      // The worker's vite.config.js is described in prose (the Vite one plus one line), the rest is shown.
      if (f === join('worker', 'vite.config.js')) continue;
      expect(blocks, `README lacks examples/browser/${f} verbatim`).toContain(text);
    }
    expect(readme).toContain('```sh\n' + ESBUILD_COMMAND + '\n```');
  });
});
