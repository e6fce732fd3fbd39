/**
 * The lab page in a real browser: `descent lab serve --port 0` (the built CLI) serves dist/lab-web/ and headless
 * Debian Chromium drives each panel through its controls, reading the results the page shows (table cells and
 * data-* attributes). Every page must load without console errors and request nothing outside 127.0.0.1.
 * Screenshots of the panels go to $DESCENT_SCREENSHOTS or <tmp>/descent-lab-screenshots/ (CI keeps them as
 * artifacts; whoever changes the page looks at them). Needs `npm run build` (which builds the page) and Chromium.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = process.env.DESCENT_SCREENSHOTS ?? join(tmpdir(), 'descent-lab-screenshots');

let server: ChildProcess | undefined;
let base = '';
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
const outside: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/lab-web/index.html')) || !existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
    throw new Error('dist/lab-web/ or the CLI is missing: run `npm run build` (or build:ts and build:lab-web) before the browser tests');
  }
  mkdirSync(SHOTS, { recursive: true });
  server = spawn(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'lab', 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d) => {
      out += String(d);
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) resolve(m[0]);
    });
    server!.stderr!.on('data', (d) => (out += String(d)));
    server!.on('exit', (code) => reject(new Error(`descent lab serve exited with ${code}: ${out}`)));
  });
  browser = await launchChromium();
  browser.context.on('request', (r) => {
    if (!r.url().startsWith(base) && !/^(data|blob):/.test(r.url())) outside.push(r.url());
  });
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

/** Opens the page at `query`, collecting console errors and page errors. */
async function open(query: string, viewport = { width: 1200, height: 860 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.context.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}?${query}`);
  await page.waitForFunction(() => document.querySelector<HTMLElement>('#backend')?.dataset.backend === 'wasm', undefined, { timeout: 20_000 });
  return { page, errors };
}

/** A raw GET (the path sent as written, unlike fetch, which normalises `..`). */
function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('descent lab serve', () => {
  it('sends the cross-origin isolation headers and the right MIME types', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect((await get('/descent.wasm')).headers['content-type']).toBe('application/wasm');
    expect((await get('/worker.js')).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get('/lab.css')).headers['content-type']).toMatch(/^text\/css/);
    expect((await get('/', 'POST')).status).toBe(405);
  });

  it('says so when the port is taken (exit code 2)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'lab', 'serve', '--port', new URL(base).port], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/port \d+ is in use: choose another with --port N/);
  });

  it('serves nothing outside its folder', async () => {
    for (const path of ['/../package.json', '/../../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fpackage.json', '/..%5cpackage.json', '/index.html%00.wasm', '/nothing-here.js']) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get('/index.html')).status).toBe(200);
  });

  it('refuses symlinks that lead out of the folder', async () => {
    const { resolveInside } = await import('../../src/cli/lab-serve.js');
    const dir = mkdtempSync(join(tmpdir(), 'descent-serve-'));
    try {
      mkdirSync(join(dir, 'site'));
      symlinkSync(join(ROOT, 'package.json'), join(dir, 'site', 'leak.json'));
      expect(resolveInside(join(dir, 'site'), '/leak.json')).toBeNull();
      expect(resolveInside(join(ROOT, 'dist/lab-web'), '/index.html')).toBe(join(ROOT, 'dist/lab-web/index.html'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the lab page in Chromium', () => {
  it('activations: σ′(0) = 0.25 and ReLU′(−10) = 0, read from the page; the cursor moves with the keyboard', async () => {
    const { page, errors } = await open('panel=activations');
    const row = page.locator('#act-questions tr[data-x="0"]');
    await row.waitFor();
    expect(Number(await row.getAttribute('data-df'))).toBe(0.25);
    expect(await row.textContent()).toContain('0.25');
    await page.getByLabel('relu', { exact: true }).check();
    await page.waitForFunction(() => document.querySelector('#act-questions th')?.textContent === 'relu');
    expect(Number(await page.locator('#act-questions tr[data-x="-10"]').getAttribute('data-df'))).toBe(0);
    expect(Number(await page.locator('#act-questions tr[data-x="10"]').getAttribute('data-df'))).toBe(1);
    await page.locator('#act-chart').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#act-readout')?.dataset.x) > 0);
    expect(Number(await page.locator('#act-readout').getAttribute('data-dy'))).toBe(1);
    expect(page.url()).toContain('act=relu');
    // Served cross-origin isolated, the page's worker runs the threaded wasm module.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.locator('#backend').textContent()).toMatch(/wasm \(.*threads? \(shared memory\)/);
    await page.getByLabel('sigmoid', { exact: true }).check();
    await page.waitForFunction(() => document.querySelector('#act-questions th')?.textContent === 'sigmoid');
    await page.screenshot({ path: join(SHOTS, 'activations.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('initialisation: tanh layer 6 collapses under 0.01·randn and stays healthy under Xavier', async () => {
    const { page, errors } = await open('panel=init&iact=tanh&init=small01');
    const layer6 = page.locator('#init-table tr[data-layer="6"]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#init')?.dataset.ready === 'true', undefined, { timeout: 30_000 });
    expect(Number(await layer6.getAttribute('data-std'))).toBeLessThan(0.1);
    await page.selectOption('[data-key="init"]', 'xavier');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#init')?.dataset.ready === 'true' && document.querySelector('#init-status')?.textContent?.includes('Xavier'), undefined, { timeout: 30_000 });
    const std = Number(await layer6.getAttribute('data-std'));
    expect(std).toBeGreaterThan(0.2);
    expect(std).toBeLessThan(0.45);
    // The lecture's case buttons set the controls (and the URL) and rerun.
    await page.getByRole('button', { name: 'ReLU · Kaiming: steady' }).click();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#init')?.dataset.ready === 'true' && document.querySelector('#init-status')?.textContent?.startsWith('relu') && document.querySelector('#init-status')?.textContent?.includes('Kaiming'), undefined, { timeout: 30_000 });
    expect(page.url()).toMatch(/iact=relu/);
    const kaiming = await page.locator('#init-table tr[data-layer]').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.std)));
    expect(Math.max(...kaiming) / Math.min(...kaiming)).toBeLessThan(1.5);
    await page.getByRole('button', { name: 'tanh · Xavier: healthy' }).click();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#init')?.dataset.ready === 'true' && document.querySelector('#init-status')?.textContent?.startsWith('tanh'), undefined, { timeout: 30_000 });
    expect(await page.locator('#init-acts svg').count()).toBe(1);
    expect(await page.locator('#init-grads svg').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'init.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('optimizers: near the saddle SGD stays within 0.1 of its start for 100 steps while Adam leaves; a click moves the start', async () => {
    const { page, errors } = await open('panel=optimizers&surface=saddle&start=0.05,0.001');
    const ready = () => page.waitForFunction(() => document.querySelector<HTMLElement>('#race-chart')?.dataset.ready === 'true');
    await ready();
    const distance = async (name: string) => Number(await page.locator(`#race-table tr[data-optimizer="${name}"]`).getAttribute('data-distance'));
    expect(await page.locator('#race-table tr[data-optimizer="sgd"] td').nth(2).textContent()).toBe('100');
    expect(await distance('sgd')).toBeLessThan(0.1);
    expect(await distance('adam')).toBeGreaterThan(1);
    // The step inspector shows AdaGrad's accumulated denominator.
    await page.selectOption('#inspect-optimizer', 'adagrad');
    await page.locator('#inspect-step').fill('50');
    await page.waitForFunction(() => document.querySelector('#inspector caption')?.textContent?.includes('AdaGrad'));
    expect(await page.locator('#inspector tr[data-row="denominator"]').textContent()).toMatch(/√\(Σg²\) \+ ε\(/);
    // A click at the centre of the contour plot starts the race at the saddle point (0, 0).
    // (force: the paths and markers drawn over the window's centre take the click on their way to the chart)
    await page.locator('#race-chart [data-plot-window]').click({ force: true });
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#race-chart')?.dataset.start !== '0.05,0.001');
    await ready();
    const [x, y] = (await page.locator('#race-chart').getAttribute('data-start'))!.split(',').map(Number);
    expect(Math.abs(x)).toBeLessThan(0.02);
    expect(Math.abs(y)).toBeLessThan(0.02);
    expect(page.url()).toContain(`start=${x},${y}`);
    await page.goto(`${base}?panel=optimizers&surface=saddle&start=0.05,0.001&sel=adagrad&at=40`);
    await ready();
    await page.screenshot({ path: join(SHOTS, 'optimizers.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('live training on "circle" reaches 95 % train accuracy within 10 s', async () => {
    const { page, errors } = await open('panel=train');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#train')?.dataset.step === '0');
    await page.click('#train-play');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#train')?.dataset.trainAccuracy) >= 0.95, undefined, { timeout: 10_000 });
    await page.click('#train-play');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#train')?.dataset.running === 'false');
    expect(await page.locator('#train-neurons canvas').count()).toBe(16);
    expect(await page.locator('#train-layers tr[data-layer]').count()).toBe(2);
    expect(await page.locator('#train-updates tr[data-ratio]').count()).toBe(3);
    await page.screenshot({ path: join(SHOTS, 'train.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a shared link reproduces the same loss curve, step by step', async () => {
    const run = async (page: Page, seed: number) => {
      // The session for the settings made (settings rebuild it; a click before that would play the old one).
      await page.waitForFunction((s) => JSON.parse(document.querySelector<HTMLElement>('#train')?.dataset.config ?? '{}').seed === s && document.querySelector<HTMLElement>('#train')?.dataset.step === '0', seed);
      await page.click('#train-play');
      await page.waitForFunction(() => document.querySelector<HTMLElement>('#train')?.dataset.step === '150' && document.querySelector<HTMLElement>('#train')?.dataset.running === 'false', undefined, { timeout: 20_000 });
      return (await page.locator('#train-loss').getAttribute('data-losses'))!.split(' ').map(Number);
    };
    const first = await open('panel=train');
    await first.page.selectOption('[data-key="data"]', 'spirals');
    await first.page.locator('[data-key="seed"]').fill('7');
    await first.page.locator('[data-key="until"]').fill('150');
    await first.page.selectOption('[data-key="tact"]', 'relu');
    const losses = await run(first.page, 7);
    const link = first.page.url();
    expect(link).toMatch(/data=spirals/);
    expect(link).toMatch(/seed=7/);
    const second = await open(link.split('?')[1]);
    const again = await run(second.page, 7);
    expect(losses).toHaveLength(150);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(again).toEqual(losses);
    // A different seed is a different run.
    await second.page.locator('[data-key="seed"]').fill('8');
    expect(await run(second.page, 8)).not.toEqual(losses);
    expect([...first.errors, ...second.errors]).toEqual([]);
    await first.page.close();
    await second.page.close();
  });

  it('is keyboard accessible and readable at phone width', async () => {
    const { page, errors } = await open('panel=activations', { width: 390, height: 844 });
    await page.locator('#tab-activations').focus();
    const ready: Record<string, () => boolean> = {
      activations: () => !!document.querySelector('#act-questions tr[data-x="0"]'),
      init: () => document.querySelector<HTMLElement>('#init')?.dataset.ready === 'true',
      optimizers: () => document.querySelector<HTMLElement>('#race-chart')?.dataset.ready === 'true',
      train: () => document.querySelector<HTMLElement>('#train')?.dataset.step === '0',
    };
    for (const [i, panel] of ['activations', 'init', 'optimizers', 'train'].entries()) {
      if (i > 0) await page.keyboard.press('ArrowRight');
      expect(await page.locator(`#tab-${panel}`).getAttribute('aria-selected')).toBe('true');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(`tab-${panel}`);
      expect(await page.locator(`#${panel}`).isVisible()).toBe(true);
      await page.waitForFunction(ready[panel], undefined, { timeout: 30_000 });
      // Wide figures scroll inside their own boxes; the page itself never scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), panel).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, `${panel}-phone.png`), fullPage: true });
    }
    await page.keyboard.press('Home');
    expect(await page.locator('#activations').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('requested nothing outside 127.0.0.1', () => {
    expect(outside).toEqual([]);
  });
});
