/**
 * wasm threads in Chromium: a cross-origin-isolated page's Web Worker loads the threaded module and gets the same
 * bits for 1, 2 and 3 threads (a GEMM above the split threshold, an MLP's and a small CNN's parameters after Adam
 * steps: Chromium loads the relaxed-SIMD module, which the Node tests do not), with the GEMM checked against a
 * float64 reference; the isolated page's main thread (which may not block) and a non-isolated page's worker fall
 * back to the single-threaded module and say why. Needs `npm run build` and /usr/bin/chromium, like train.test.ts.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './chromium.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** Runs in a module Web Worker: per thread count, a hash of the GEMM's and the trained MLP's bits. */
const WORKER = `
self.onmessage = async (event) => {
  try {
    const d = await import(event.data.url);
    const b = await d.loadBackend('wasm');
    const fill = (a, seed) => { let s = seed >>> 0; for (let i = 0; i < a.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; } };
    const hash = (arrays) => { let h = 2166136261; for (const a of arrays) for (const v of new Uint32Array(a.slice().buffer)) h = Math.imul(h ^ v, 16777619) >>> 0; return h; };
    const runs = [];
    // Workers start asynchronously (kernels never wait for them); wait, so the runs below really split work.
    d.setThreads(Math.max(...event.data.threads));
    for (let i = 0; i < 500 && b.threaded && b.workersRunning < Math.max(...event.data.threads) - 1; i++) await new Promise((r) => setTimeout(r, 20));
    const running = b.workersRunning;
    for (const threads of event.data.threads) {
      d.setThreads(threads);
      const m = 301, n = 263, k = 517;
      const A = b.alloc(m * k), B = b.alloc(n * k), C = b.alloc(m * n);
      fill(A.data, 1); fill(B.data, 2);
      b.k.gemm_f32(0, 1, m, n, k, 1, A, B, 0, C);
      let worst = 0;
      for (let i = 0; i < m; i += 37) for (let j = 0; j < n; j += 29) {
        let ref = 0, mag = 0;
        for (let p = 0; p < k; p++) { ref += A.data[i * k + p] * B.data[j * k + p]; mag += Math.abs(A.data[i * k + p] * B.data[j * k + p]); }
        worst = Math.max(worst, Math.abs(C.data[i * n + j] - ref) / (2 * k * 2 ** -24 * mag));
      }
      d.manualSeed(3);
      const model = new d.Sequential([new d.Linear(100, 300), new d.ReLU(), new d.Linear(300, 64), new d.Tanh(), new d.Linear(64, 10)]);
      const trainer = new d.Trainer(model, { optimizer: new d.Adam(model.parameters(), { lr: 1e-3 }), loss: 'crossEntropy' });
      const x = new Float32Array(64 * 100); fill(x, 5);
      const y = Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10);
      const losses = [];
      for (let s = 0; s < 4; s++) losses.push(trainer.step(x, y));
      // A CNN whose Conv2d-ReLU-MaxPool2d blocks run as the fused kernels (their images and planes split over the team).
      d.manualSeed(4);
      const cnn = new d.Sequential([new d.Conv2d(1, 8, 3, { padding: 1 }), new d.ReLU(), new d.MaxPool2d(2), new d.Conv2d(8, 16, 3, { padding: 1 }), new d.ReLU(), new d.MaxPool2d(2), new d.Flatten(), new d.Linear(16 * 7 * 7, 10)], { inputShape: [1, 28, 28] });
      const cnnTrainer = new d.Trainer(cnn, { optimizer: new d.Adam(cnn.parameters(), { lr: 1e-3 }), loss: 'crossEntropy' });
      const images = new Float32Array(32 * 784); fill(images, 6);
      for (let s = 0; s < 2; s++) cnnTrainer.step(images, y.subarray(0, 32));
      runs.push({ threads, detail: b.detail, gemm: hash([C.data]), worst, mlp: hash(model.parameters().map((p) => p.value.data)), cnn: hash(cnn.parameters().map((p) => p.value.data)), losses });
      model.dispose(); cnn.dispose(); [A, B, C].forEach((x) => b.free(x));
    }
    self.postMessage({ isolated: self.crossOriginIsolated, runs, running });
  } catch (error) {
    self.postMessage({ error: String(error && error.stack || error) });
  }
};`;

interface Run { threads: number; detail: string; gemm: number; worst: number; mlp: number; cnn: number; losses: number[] }
interface WorkerResult { isolated: boolean; runs: Run[]; running: number }
type WorkerReply = WorkerResult | { error: string };

async function inWorker(browser: Browser, threads: number[]): Promise<WorkerResult> {
  const page = await browser.context.newPage();
  await page.goto(`${browser.url}__test__.html`);
  const result = (await page.evaluate(
    ({ source, threads }) =>
      new Promise<WorkerReply>((resolve) => {
        const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
        worker.onmessage = (event) => resolve(event.data);
        worker.onerror = (event) => resolve({ error: event.message });
        worker.postMessage({ url: `${location.origin}/src/index.js`, threads });
      }),
    { source: WORKER, threads },
  )) as WorkerReply;
  await page.close();
  if ('error' in result) throw new Error(`in the worker: ${result.error}`);
  return result;
}

let isolated: Browser | undefined, plain: Browser | undefined;
beforeAll(async () => {
  isolated = await openBrowser(DIST, { isolated: true });
  plain = await openBrowser(DIST);
});
afterAll(async () => {
  await isolated?.close();
  await plain?.close();
});

describe('wasm threads in Chromium', () => {
  it('a cross-origin-isolated page\'s worker runs the threaded module, bit-identical for 1, 2 and 3 threads', async () => {
    const { isolated: coi, runs, running } = await inWorker(isolated!, [1, 2, 3]);
    expect(coi).toBe(true);
    expect(running).toBe(2);
    expect(runs.map((r) => r.detail)).toEqual(runs.map((r) => expect.stringMatching(new RegExp(`, ${r.threads} threads? \\(shared memory\\)`))));
    for (const r of runs) {
      expect(r.worst, `GEMM error on ${r.threads} threads, in units of its bound`).toBeLessThanOrEqual(1);
      expect(r.gemm, `GEMM bits on ${r.threads} threads`).toBe(runs[0].gemm);
      expect(r.mlp, `MLP parameters on ${r.threads} threads`).toBe(runs[0].mlp);
      expect(r.cnn, `CNN parameters (fused conv + pool) on ${r.threads} threads`).toBe(runs[0].cnn);
      expect(r.losses).toEqual(runs[0].losses);
    }
    expect(runs[0].losses[3]).toBeLessThan(runs[0].losses[0]);
  });

  it('the isolated main thread and a non-isolated page fall back to the single-threaded module, saying why', async () => {
    const page = await isolated!.context.newPage();
    await page.goto(`${isolated!.url}__test__.html`);
    // A string, so vitest's transform leaves the page's dynamic import alone.
    const main = (await page.evaluate(`(async () => {
      const d = await import(location.origin + '/src/index.js');
      return { isolated: crossOriginIsolated, detail: (await d.loadBackend('wasm')).detail };
    })()`)) as { isolated: boolean; detail: string };
    await page.close();
    expect(main.isolated).toBe(true);
    expect(main.detail).toMatch(/1 thread \(single-threaded module: a browser's main thread may not block/);
    const { isolated: coi, runs } = await inWorker(plain!, [2]);
    expect(coi).toBe(false);
    expect(runs[0].detail).toMatch(/1 thread \(single-threaded module: the page is not cross-origin isolated/);
  });
});
