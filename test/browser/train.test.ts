/**
 * The package in a real browser: Debian's Chromium (headless, through playwright-core) loads the built ESM
 * (dist/src/index.js) from a local HTTP server, picks the wasm backend (the .wasm is found relative to the
 * module and instantiated asynchronously), trains a small MLP for a few steps, and its losses must match the
 * same training on the js reference in Node. Needs `npm run build` (CI builds first) and /usr/bin/chromium
 * (`apt-get install chromium`; CHROMIUM_PATH overrides); a missing one fails the test with the fix.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './chromium.js';
import { Adam, jsBackend, Linear, manualSeed, ReLU, Sequential, setBackend, Tanh, Trainer } from '../../src/index.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

const IN = 16, HIDDEN = 32, CLASSES = 4, BATCH = 24, STEPS = 6;

/** Seeded inputs shared by both sides (a tiny LCG, so the page and Node need no common RNG). */
function data(): { x: number[]; y: number[] } {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return { x: Array.from({ length: BATCH * IN }, () => next() * 2 - 1), y: Array.from({ length: BATCH }, () => Math.floor(next() * CLASSES)) };
}

/** The training both sides run; `d` is the package (src in Node, dist in the page). */
const PAGE_TRAINING = `
  async ({ x, y, sizes, steps }) => {
    const d = await import('/src/index.js');
    const backend = await d.loadBackend('wasm');
    d.manualSeed(7);
    const [inF, hidden, classes] = sizes;
    const model = new d.Sequential([new d.Linear(inF, hidden), new d.ReLU(), new d.Linear(hidden, hidden), new d.Tanh(), new d.Linear(hidden, classes)]);
    const trainer = new d.Trainer(model, { optimizer: new d.Adam(model.parameters(), { lr: 0.01 }), loss: 'crossEntropy' });
    const losses = [];
    for (let i = 0; i < steps; i++) losses.push(trainer.step(Float32Array.from(x), Int32Array.from(y)));
    return { losses, backend: backend.name, detail: backend.detail, infos: await d.availableBackends() };
  }`;

let browser: Browser | undefined;

beforeAll(async () => {
  for (const file of ['src/index.js', 'src/backends/wasm.js', 'wasm/descent.wasm']) {
    if (!existsSync(join(DIST, file))) throw new Error(`dist/${file} is missing: run \`npm run build\` (or build:wasm and build:ts) before the browser test`);
  }
  browser = await openBrowser(DIST);
});

afterAll(async () => {
  await browser?.close();
});

describe('in Chromium', () => {
  it('trains an MLP on the wasm backend with the losses of the js reference in Node', async () => {
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${browser!.url}__test__.html`);
    const { x, y } = data();
    const got = await page.evaluate(`(${PAGE_TRAINING})(${JSON.stringify({ x, y, sizes: [IN, HIDDEN, CLASSES], steps: STEPS })})`) as {
      losses: number[]; backend: string; detail: string; infos: { name: string; available: boolean; reason?: string }[];
    };
    expect(errors).toEqual([]);
    expect(got.backend).toBe('wasm');
    // Chromium validates relaxed SIMD (since 114), so it gets the fused multiply-add module.
    expect(got.detail).toMatch(/relaxed-simd/);
    expect(got.infos.find((i) => i.name === 'wasm')?.available).toBe(true);
    // No addon in a browser: native is listed as unavailable, with a reason.
    expect(got.infos.find((i) => i.name === 'native')?.available).toBe(false);

    setBackend(jsBackend);
    manualSeed(7);
    const model = new Sequential([new Linear(IN, HIDDEN), new ReLU(), new Linear(HIDDEN, HIDDEN), new Tanh(), new Linear(HIDDEN, CLASSES)]);
    const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), loss: 'crossEntropy' });
    const ref = Array.from({ length: STEPS }, () => trainer.step(Float32Array.from(x), Int32Array.from(y)));

    expect(got.losses).toHaveLength(STEPS);
    for (let i = 0; i < STEPS; i++) {
      expect(Math.abs(got.losses[i] - ref[i]), `step ${i}: chromium/wasm (${got.detail}) ${got.losses[i]} vs node/js ${ref[i]}`).toBeLessThanOrEqual(1e-4 * Math.abs(ref[i]));
    }
    expect(ref[STEPS - 1]).toBeLessThan(ref[0]);
  });
});
