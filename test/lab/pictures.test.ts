/**
 * Pictures and terminal views: well-formed SVG with labelled axes and no NaN coordinates, and the unicode bars.
 * (The pictures themselves were looked at as PNGs; these tests keep them structurally sound.)
 */
import { describe, expect, it } from 'vitest';
import {
  activationCurve, activationCurvesSvg, histogramBars, initProbe, initProbeSvg, layerTable, loadBackend, lossCurvesSvg, sparkline, SURFACE_NAMES, SURFACES,
  trajectoriesSvg, trajectory, trajectoryTable,
} from '../../src/index.js';

await loadBackend();

/** Every opened tag is closed, in order (a tiny XML check, enough for our generated markup). */
function expectWellFormed(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else if (!m[3]) stack.push(m[2]);
  }
  expect(stack).toEqual([]);
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
}

describe('SVG pictures', () => {
  it('init probe: one histogram panel per layer plus the mean/std chart, axes labelled', () => {
    const svg = initProbeSvg(initProbe({ depth: 4, width: 128, activation: 'relu', init: 'xavier', bins: 20 }));
    expectWellFormed(svg);
    for (let l = 1; l <= 4; l++) expect(svg).toContain(`>layer ${l}<`);
    expect(svg).toContain('>mean and std by layer<');
    expect(svg).toContain('>fraction<');
    expect(svg).toContain('>value<');
    expect(svg).toContain('not drawn'); // ReLU zeros are reported, not plotted as one tall bar
  });

  it('activation curves: a panel per activation with f and f′ and the value of f′(0)', () => {
    const svg = activationCurvesSvg((['sigmoid', 'tanh', 'relu', 'leaky_relu'] as const).map((n) => activationCurve(n, -6, 6, 121)));
    expectWellFormed(svg);
    expect(svg).toContain('f′(0) = 0.25');
    expect(svg).toContain('f′(0) = 0<');
    expect(svg).toContain('>x<');
  });

  it.each(SURFACE_NAMES)('trajectories over the contours of %s, with a loss panel and a legend row per optimizer', (name) => {
    const runs = (['sgd', 'momentum', 'adam'] as const).map((o) => trajectory(name, o, { steps: 60 }));
    const svg = trajectoriesSvg(SURFACES[name], runs);
    expectWellFormed(svg);
    expect(svg).toContain('>step<');
    expect(svg).toContain('>y<');
    for (const o of ['sgd', 'momentum', 'adam']) expect(svg).toContain(`>${o}  lr `);
    expect(svg.length).toBeLessThan(250_000);
  });

  it('loss curves with a log axis', () => {
    const svg = lossCurvesSvg([{ name: 'train', values: [1, 0.5, 0.1, 0.01] }, { name: 'val', values: [1.2, 0.7, 0.3, 0.2] }], { logY: true, xLabel: 'epoch' });
    expectWellFormed(svg);
    expect(svg).toContain('>epoch<');
    expect(svg).toContain('>train<');
    expect(svg).toContain('>0.01<');
  });
});

describe('terminal views', () => {
  it('sparklines and histogram bars', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([1, NaN, 1])).toBe('▁ ▁');
    expect(histogramBars([0, 4, 8, 0])).toBe(' ▄█ ');
    expect([...histogramBars(Array.from({ length: 64 }, () => 1), 32)]).toHaveLength(32);
  });

  it('a per-layer table and an optimizer table', () => {
    const table = layerTable(initProbe({ depth: 3, width: 64, activation: 'tanh' }).layers);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^layer\s+mean\s+std\s+min\s+max\s+dead\s+sat\s+histogram/);
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^1 Tanh/);
    const runs = trajectoryTable(SURFACES.saddle, [trajectory('saddle', 'sgd'), trajectory('saddle', 'rmsprop')]);
    expect(runs).toMatch(/rmsprop .* step \d+/);
  });
});
