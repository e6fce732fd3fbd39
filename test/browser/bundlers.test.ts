/**
 * The README's browser recipes, built and run as a user would: examples/browser/ copied into a project whose
 * node_modules/descent-nn is this package (built dist/), then
 *   esbuild  — bundled with the README's command (the .wasm through the file loader, passed as options.wasm);
 *   vite     — `vite build` (Vite copies the .wasm files the package's `new URL(…, import.meta.url)` names);
 *   importmap — no build: an import map points at the package's dist/src/index.js;
 *   worker   — a module Web Worker built by Vite trains off the main thread;
 * each page in headless Chromium must choose wasm and cut the loss of a small MLP by more than half, with no
 * console warning. A bundle that cannot find the .wasm must fall back to js with exactly one console warning
 * that says why and what to do. Needs `npm run build` and Chromium (see chromium.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESBUILD_COMMAND, openBrowser, type Browser } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let work = '';
let browser: Browser | undefined;

function run(cwd: string, command: string): string {
  const [tool, ...args] = command.replace(/^npx /, '').split(' ');
  const options = { cwd, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } } as const;
  // esbuild's install step replaces bin/esbuild with the platform's native executable: run it directly, not with node.
  if (tool === 'esbuild') return execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), args, options);
  return execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), ...args], options);
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/src/index.js')) || !existsSync(join(ROOT, 'dist/wasm/descent.wasm'))) throw new Error('run `npm run build` before the browser tests');
  work = mkdtempSync(join(tmpdir(), 'descent-bundlers-'));
  cpSync(join(ROOT, 'examples/browser'), work, { recursive: true });
  for (const dir of ['node_modules', 'importmap/node_modules']) {
    mkdirSync(join(work, dir), { recursive: true });
    symlinkSync(ROOT, join(work, dir, 'descent-nn'), 'dir');
  }
  // A bundle that forgets to hand over the .wasm: the fallback and its warning.
  mkdirSync(join(work, 'nowasm'));
  writeFileSync(join(work, 'nowasm/main.js'), "import { loadBackend } from 'descent-nn';\nconst b = await loadBackend();\nawait loadBackend();\ndocument.body.textContent = b.name;\n");
  writeFileSync(join(work, 'nowasm/index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./dist/main.js"></script>\n');
  for (const dir of ['esbuild', 'nowasm']) run(join(work, dir), ESBUILD_COMMAND.replace(' --loader:.wasm=file', dir === 'nowasm' ? '' : ' --loader:.wasm=file'));
  for (const dir of ['vite', 'worker']) {
    const out = run(join(work, dir), 'npx vite build --logLevel warn');
    expect(out, `vite build in ${dir} printed warnings`).toBe('');
  }
  browser = await openBrowser(work);
});

afterAll(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Opens a page, waits for its body text, and returns it with the console warnings and page errors. */
async function visit(path: string) {
  const page = await browser!.context.newPage();
  const warnings: string[] = [], errors: string[] = [], failedLoads: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('requestfailed', (r) => failedLoads.push(r.url()));
  page.on('response', (r) => { if (!r.ok()) failedLoads.push(`${r.status()} ${r.url()}`); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${browser!.url}${path}`);
  await page.waitForFunction(() => document.body?.textContent?.trim(), undefined, { timeout: 30_000 });
  const text = (await page.textContent('body'))!.trim();
  await page.close();
  return { text, warnings, errors, failedLoads };
}

describe('bundlers and browsers (README recipes)', () => {
  const pages: [string, string][] = [
    ['esbuild (options.wasm from the file loader)', 'esbuild/index.html'],
    ['Vite (vite build)', 'vite/dist/index.html'],
    ['plain ESM with an import map', 'importmap/index.html'],
    ['a module Web Worker (built by Vite)', 'worker/dist/index.html'],
  ];
  for (const [name, path] of pages) {
    it(`${name}: chooses wasm and training cuts the loss`, async () => {
      const { text, warnings, errors, failedLoads } = await visit(path);
      expect(errors).toEqual([]);
      expect(warnings).toEqual([]);
      expect(failedLoads).toEqual([]);
      const m = /^(\w+): loss ([\d.]+) → ([\d.]+)$/.exec(text);
      expect(m, `page text: ${text}`).not.toBeNull();
      expect(m![1]).toBe('wasm');
      expect(Number(m![3])).toBeLessThan(Number(m![2]) * 0.5);
    });
  }

  it('a bundle without the .wasm falls back to js and warns once, saying why and what to do', async () => {
    const { text, warnings, errors, failedLoads } = await visit('nowasm/index.html');
    // The browser reports the two missing files (relaxed, then plain SIMD) itself; nothing else fails.
    expect([...new Set(failedLoads.map((u) => u.replace(/^.*\//, '')))]).toEqual(['descent-relaxed.wasm', 'descent.wasm']);
    expect(errors.every((e) => e.includes('404'))).toBe(true);
    expect(text).toBe('js');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^descent-nn: loadBackend\(\) chose the js backend, several times slower than wasm, because wasm did not load: descent\.wasm could not be loaded \(tried: http:.*HTTP 404.*pass the module: loadBackend\('wasm', \{ wasm: /);
  });
});
