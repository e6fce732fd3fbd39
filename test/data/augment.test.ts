/**
 * Data augmentation: randomHorizontalFlip and randomCrop transform each image exactly as their torchvision
 * counterparts define (checked pixel by pixel against the definition), draw their choices evenly, validate their
 * options; Trainer.fit applies them to training batches only, repeats a seeded run exactly and resumes mid-epoch
 * bit-identically; the CLI's --augment list parses and points at a bad token.
 */
import { describe, expect, it } from 'vitest';
import { Adam, Conv2d, Flatten, Linear, manualSeed, randomCrop, randomHorizontalFlip, ReLU, Rng, Sequential, setBackend, Trainer, type Augmentation } from '../../src/index.js';
import { parseAugment } from '../../src/cli/train.js';
import { BACKENDS } from '../helpers.js';

/** Images whose pixel (c, y, x) of row r holds a value naming it, so a transformed pixel tells where it came from. */
function labelled(rows: number, c: number, h: number, w: number): Float32Array {
  const x = new Float32Array(rows * c * h * w);
  for (let r = 0, i = 0; r < rows; r++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++, i++) x[i] = 1 + r * 1e4 + ch * 1e3 + y * 100 + xx;
  return x;
}

describe('randomHorizontalFlip', () => {
  it('mirrors each chosen image left to right in every channel, and leaves the others as they were', () => {
    const [rows, c, h, w] = [400, 3, 4, 5];
    const x = labelled(rows, c, h, w), before = x.slice();
    randomHorizontalFlip().apply(x, rows, [c, h, w], new Rng(3));
    let flipped = 0;
    const wrong: string[] = [];
    for (let r = 0; r < rows; r++) {
      const at = r * c * h * w, same = x[at] === before[at];
      if (!same) flipped++;
      for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
        const i = at + (ch * h + y) * w + xx;
        if (x[i] !== before[at + (ch * h + y) * w + (same ? xx : w - 1 - xx)]) wrong.push(`row ${r} (${ch}, ${y}, ${xx})`);
      }
    }
    expect(wrong).toEqual([]);
    // p = 0.5 over 400 images: 200 ± 10 standard deviations' worth of slack is 150…250.
    expect(flipped).toBeGreaterThan(150);
    expect(flipped).toBeLessThan(250);
  });

  it('flips every image at p = 1 and none at p = 0; rows past size stay untouched', () => {
    const x = labelled(6, 1, 2, 3), before = x.slice();
    randomHorizontalFlip({ p: 0 }).apply(x, 6, [1, 2, 3], new Rng(1));
    expect(x).toEqual(before);
    randomHorizontalFlip({ p: 1 }).apply(x, 4, [1, 2, 3], new Rng(1));
    expect(Array.from(x.subarray(0, 6))).toEqual([3, 2, 1, 103, 102, 101]);
    expect(x.subarray(24)).toEqual(before.subarray(24));
  });

  it('rejects a probability outside [0, 1] and unknown options with ERR_OPTION', () => {
    expect(() => randomHorizontalFlip({ p: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
    expect(() => randomHorizontalFlip({ p: NaN })).toThrow(/p/);
    expect(() => randomHorizontalFlip({ q: 0.5 } as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
  });
});

describe('randomCrop', () => {
  it('shifts each image by −padding…padding pixels in each direction, uncovered pixels taking fill, all shifts drawn', () => {
    const [rows, c, h, w, padding, fill] = [900, 2, 5, 6, 2, -7];
    const x = labelled(rows, c, h, w);
    randomCrop({ padding, fill }).apply(x, rows, [c, h, w], new Rng(9));
    const seen = new Map<string, number>();
    const wrong: string[] = [];
    for (let r = 0; r < rows; r++) {
      const at = r * c * h * w;
      // The shift from any pixel that came from the image (the centre always does for padding 2 on 5×6).
      const centre = x[at + 2 * w + 3];
      const dy = Math.floor((centre - 1 - r * 1e4) / 100) % 10 - 2, dx = Math.round((centre - 1 - r * 1e4) % 100) - 3;
      seen.set(`${dy},${dx}`, (seen.get(`${dy},${dx}`) ?? 0) + 1);
      for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
        const fy = y + dy, fx = xx + dx, inside = fy >= 0 && fy < h && fx >= 0 && fx < w;
        if (x[at + (ch * h + y) * w + xx] !== (inside ? 1 + r * 1e4 + ch * 1e3 + fy * 100 + fx : fill)) wrong.push(`row ${r} (${ch}, ${y}, ${xx})`);
      }
    }
    expect(wrong).toEqual([]);
    // 25 shifts, 36 draws each on average: every one appears, none more than twice its share.
    expect(seen.size).toBe(25);
    for (const [shift, count] of seen) expect(count, shift).toBeLessThan(72);
  });

  it('fills the whole image when the shift is at least its size, and does nothing with padding 0', () => {
    const x = labelled(50, 1, 1, 1);
    randomCrop({ padding: 3, fill: 0 }).apply(x, 50, [1, 1, 1], new Rng(2));
    const moved = Array.from(x).filter((v) => v === 0).length;
    expect(moved).toBeGreaterThan(30); // 48 of 49 shifts move a 1×1 image out
    const y = labelled(4, 2, 3, 3), before = y.slice();
    randomCrop({ padding: 0 }).apply(y, 4, [2, 3, 3], new Rng(2));
    expect(y).toEqual(before);
  });

  it('rejects a missing, negative or fractional padding, a non-finite fill and unknown options', () => {
    for (const bad of [{}, { padding: -1 }, { padding: 1.5 }, { padding: 2, fill: Infinity }, { padding: 2, mode: 'reflect' }]) {
      expect(() => randomCrop(bad as never), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
    }
  });
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('Trainer.fit with augment on %s', (_name, backend) => {
  const data = (() => {
    const r = new Rng(5), n = 96, x = new Float32Array(n * 64), y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      // Class 1 is bright on the left half; flips and shifts make the task harder, not different.
      for (let p = 0; p < 64; p++) x[i * 64 + p] = r.normal() * 0.3 + (y[i] === 1 && p % 8 < 4 ? 1 : 0);
    }
    return { x, y };
  })();
  const make = () => {
    setBackend(backend);
    manualSeed(3);
    const model = new Sequential([new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(256, 2)], { inputShape: [1, 8, 8] });
    return { model, trainer: new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), loss: 'crossEntropy' }) };
  };
  const augment = [randomHorizontalFlip(), randomCrop({ padding: 1, fill: -1 })];
  const options = { epochs: 2, batchSize: 16, progress: false } as const;

  it('repeats a seeded run exactly, trains differently from no augmentation, and never changes the data', async () => {
    const before = data.x.slice();
    const runs = [];
    for (const a of [augment, augment, undefined]) {
      const { model, trainer } = make();
      const h = await trainer.fit(data, { ...options, rng: new Rng(7), ...(a ? { augment: a } : {}) });
      runs.push({ loss: h.loss, weight: Array.from(model.stateDict()['3.weight'].data) });
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2].weight).not.toEqual(runs[0].weight);
    expect(data.x).toEqual(before);
  });

  it('sees each batch once per augmentation, in order, only in training (not validation)', async () => {
    const calls: string[] = [];
    const spy = (name: string): Augmentation => ({ name, apply: (_x, size, shape) => void calls.push(`${name}:${size}:${shape.join('x')}`) });
    const { trainer } = make();
    await trainer.fit(data, { ...options, epochs: 1, validationSplit: 0.25, augment: [spy('a'), spy('b')] });
    // 72 training rows: batches of 16, 16, 16, 16, 8.
    expect(calls).toEqual(['a:16:1x8x8', 'b:16:1x8x8', 'a:16:1x8x8', 'b:16:1x8x8', 'a:16:1x8x8', 'b:16:1x8x8', 'a:16:1x8x8', 'b:16:1x8x8', 'a:8:1x8x8', 'b:8:1x8x8']);
  });

  it('resumes inside an epoch bit-identically', async () => {
    const straight = make();
    const full = await straight.trainer.fit(data, { ...options, rng: new Rng(4), augment });
    const cut = make(), rng = new Rng(4), controller = new AbortController();
    let epochStart = rng.getState();
    const first = await cut.trainer.fit(data, {
      ...options, rng, augment, signal: controller.signal,
      callbacks: { onEpochEnd: () => void (epochStart = rng.getState()), onBatchEnd: (batch, logs) => void (logs.epoch === 2 && batch === 2 && controller.abort()) },
    });
    rng.setState(epochStart);
    const stop = first.stoppedAt!;
    const rest = await cut.trainer.fit(data, { ...options, rng, augment, initialEpoch: stop.epoch - 1, initialBatch: stop.batch, partialEpoch: stop });
    expect(rest.loss).toEqual(full.loss.slice(1));
    const a = straight.model.stateDict(), b = cut.model.stateDict();
    for (const k of Object.keys(a)) expect(Array.from(b[k].data), k).toEqual(Array.from(a[k].data));
  });

  it('rejects augmentation of samples that are not images, and entries that are not augmentations', async () => {
    setBackend(backend);
    const flat = new Sequential([new Linear(64, 2)]);
    const trainer = new Trainer(flat, { optimizer: new Adam(flat.parameters()), loss: 'crossEntropy' });
    await expect(trainer.fit(data, { ...options, augment })).rejects.toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: expect.stringMatching(/inputShape \[64\]/) }));
    const { trainer: t2 } = make();
    await expect(t2.fit(data, { ...options, augment: [randomHorizontalFlip(), 'hflip' as never] })).rejects.toThrow(/augment\[1\]/);
  });
});

describe('descent train --augment', () => {
  it('parses hflip and cropN in order, with the black pixel as the crop fill', () => {
    const list = parseAugment('crop3,hflip', -0.8);
    expect(list.map((a) => a.name)).toEqual(['randomCrop(padding=3, fill=-0.8)', 'randomHorizontalFlip(p=0.5)']);
  });

  it('points at the bad token', () => {
    expect(() => parseAugment('hflip,vflip', 0)).toThrow(/token 2 'vflip'/);
    expect(() => parseAugment('crop', 0)).toThrow(/token 1 'crop'.*cropN/);
    expect(() => parseAugment('hflip,crop0', 0)).toThrow(/token 2 'crop0'.*1 to 64/);
  });
});
