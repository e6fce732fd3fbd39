/**
 * Panel 4: TensorFlow-Playground-style training. The worker trains and posts snapshots; this side draws the
 * decision boundary (canvas), one thumbnail per hidden unit, the loss curves, per-layer activation statistics
 * and update/weight ratios. Changing any setting builds a fresh session from the seed, so a link reproduces
 * the run step by step.
 */
import type { ActivationName } from '../../nn/activation-table.js';
import type { OptimizerName } from '../surfaces.js';
import { lossCurvesSvg } from '../svg.js';
import type { DatasetName } from './datasets.js';
import type { TrainConfig, TrainSnapshot } from './experiments.js';
import type { InitChoice } from './inits.js';
import type { TrainPoints, TrainProgress } from './protocol.js';
import { $, fmt, num, onChange, showError, text, type Lab } from './ui.js';

/** The decision grid of experiments.ts (GRID × GRID cells over [−LIMIT, LIMIT]²), repeated here to keep the worker's code out of the page. */
const GRID = 40, LIMIT = 6;
/** Losses kept in the page's `data-losses` (for comparing runs). */
const KEPT = 2000;

const KEYS = ['data', 'noise', 'split', 'layers', 'tact', 'tinit', 'topt', 'tlr', 'batch', 'seed', 'until'];

interface RunView {
  session: number;
  points: TrainPoints;
  losses: number[];
  evals: { step: number; train: number; test: number }[];
  latest: TrainSnapshot;
  running: boolean;
}

let view: RunView | null = null;
let frame = 0;

/** The hidden widths from "8,8" (1 to 6 layers of 1 to 32 units). */
function hidden(): number[] {
  const widths = text('layers').split(',').map((s) => Number(s.trim()));
  if (widths.length < 1 || widths.length > 6 || !widths.every((w) => Number.isInteger(w) && w >= 1 && w <= 32)) {
    throw new Error(`hidden layers: write 1 to 6 widths of 1 to 32 units separated by commas (e.g. 8,8), not '${text('layers')}'`);
  }
  return widths;
}

export function setupTrain(lab: Lab): { show(): void } {
  const status = $('#train-status');
  const play = $<HTMLButtonElement>('#train-play');
  let latest = 0;
  const setup = async () => {
    let config: TrainConfig;
    try {
      config = {
        dataset: text('data') as DatasetName, points: 400, noise: num('noise'), trainFraction: num('split'), hidden: hidden(),
        activation: text('tact') as ActivationName, init: text('tinit') as InitChoice | 'auto', optimizer: text('topt') as OptimizerName,
        lr: num('tlr'), batch: num('batch'), seed: num('seed'),
      };
    } catch (error) {
      return showError(status, error);
    }
    const call = lab.call('train-setup', { config, until: num('until') });
    latest = call.id;
    try {
      const r = await call;
      if (call.id !== latest) return;
      status.classList.remove('error');
      $('#train').dataset.config = JSON.stringify(config);
      view = { session: call.id, points: r, losses: [], evals: [{ step: 0, train: r.snapshot.trainLoss, test: r.snapshot.testLoss }], latest: r.snapshot, running: false };
      render();
    } catch (error) {
      if (call.id === latest) showError(status, error);
    }
  };
  lab.onProgress = (p: TrainProgress) => {
    if (!view || p.session !== view.session) return;
    view.losses.push(...p.snapshot.losses);
    view.evals.push({ step: p.snapshot.step, train: p.snapshot.trainLoss, test: p.snapshot.testLoss });
    view.latest = p.snapshot;
    view.running = p.running;
    if (!frame) frame = requestAnimationFrame(render);
  };
  onChange(KEYS, setup);
  onChange(['speed'], () => {
    if (view?.running) void lab.call('train-play', { speed: num('speed') });
  });
  play.addEventListener('click', () => {
    const v = view;
    if (!v) return;
    if (v.running) {
      v.running = false;
      void lab.call('train-pause', {});
      render();
    } else {
      void lab.call('train-play', { speed: num('speed') }).then((started) => {
        v.running = started;
        render();
      });
    }
  });
  $('#train-step').addEventListener('click', () => {
    if (view && !view.running) void lab.call('train-step', {});
  });
  $('#train-reset').addEventListener('click', () => void setup());
  let shown = false;
  return { show: () => { if (!shown) { shown = true; void setup(); } } };
}

function render(): void {
  frame = 0;
  if (!view) return;
  const s = view.latest, section = $('#train');
  Object.assign(section.dataset, { step: String(s.step), trainAccuracy: String(s.trainAccuracy), testAccuracy: String(s.testAccuracy), running: String(view.running) });
  const play = $('#train-play');
  play.textContent = view.running ? '❚❚ Pause' : '▶ Play';
  play.setAttribute('aria-pressed', String(view.running));
  $('#train-status').textContent = `step ${s.step} · epoch ${s.epoch} · train loss ${fmt(s.trainLoss)}, accuracy ${(100 * s.trainAccuracy).toFixed(1)}% · test loss ${fmt(s.testLoss)}, accuracy ${(100 * s.testAccuracy).toFixed(1)}%`;
  drawBoundary(view.points, s.probability);
  drawNeurons(s.neurons);
  drawLoss(view);
  $('#train-layers').innerHTML = `<thead><tr><th>hidden layer</th><th>mean</th><th>std</th><th>dead units</th><th>saturated values</th></tr></thead><tbody>${s.layers
    .map((l) => `<tr data-layer="${l.layer}" data-dead="${l.deadFraction}"><td>layer ${l.layer} (${text('tact')})</td><td>${fmt(l.mean)}</td><td>${fmt(l.std)}</td><td>${(100 * l.deadFraction).toFixed(0)}%</td><td>${(100 * l.saturatedFraction).toFixed(0)}%</td></tr>`)
    .join('')}</tbody>`;
  $('#train-updates').innerHTML = `<thead><tr><th>weights</th><th>‖Δw‖/‖w‖</th><th>log₁₀</th><th>‖∇w‖</th></tr></thead><tbody>${s.updates
    .map((u) => {
      const lg = Math.log10(u.ratio);
      const bar = Number.isFinite(lg) ? `<svg width="120" height="12" role="img" aria-label="log10 ratio ${lg.toFixed(1)}"><rect x="0" y="2" width="${Math.max(2, Math.min(120, (lg + 6) * 20)).toFixed(0)}" height="8" fill="${lg > -2 ? '#d62728' : lg < -4 ? '#ff7f0e' : '#2ca02c'}"/><line x1="60" y1="0" x2="60" y2="12" stroke="#222"/></svg>` : '';
      return `<tr data-ratio="${u.ratio}"><td>${u.name}</td><td>${Number.isFinite(u.ratio) ? fmt(u.ratio) : '— (no step yet)'}</td><td>${bar}</td><td>${fmt(u.gradNorm)}</td></tr>`;
    })
    .join('')}</tbody>`;
}

/** Playground's colours: orange for class 0 (negative), blue for class 1 (positive), white in between. */
function color(t: number): [number, number, number] {
  const orange = [245, 147, 34], blue = [8, 119, 189];
  const c = t < 0.5 ? orange : blue, w = Math.min(1, Math.abs(t - 0.5) * 2);
  return [0, 1, 2].map((k) => Math.round(255 + (c[k] - 255) * w * 0.75)) as [number, number, number];
}

/** A GRID × GRID field painted into a canvas (row 0 at the bottom), smoothed when scaled up. */
function paint(canvas: HTMLCanvasElement, values: Float32Array, toUnit: (v: number) => number): void {
  const cell = document.createElement('canvas');
  cell.width = cell.height = GRID;
  const cctx = cell.getContext('2d')!, img = cctx.createImageData(GRID, GRID);
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      const [r, g, b] = color(toUnit(values[j * GRID + i]));
      const o = ((GRID - 1 - j) * GRID + i) * 4;
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  }
  cctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(cell, 0, 0, canvas.width, canvas.height);
}

function drawBoundary(points: TrainPoints, probability: Float32Array): void {
  const canvas = $<HTMLCanvasElement>('#train-canvas');
  paint(canvas, probability, (p) => p);
  const ctx = canvas.getContext('2d')!, size = canvas.width;
  const at = (v: number) => ((v + LIMIT) / (2 * LIMIT)) * size;
  const dot = (x: Float32Array, y: Int32Array, test: boolean) => {
    for (let i = 0; i < y.length; i++) {
      ctx.beginPath();
      ctx.arc(at(x[2 * i]), size - at(x[2 * i + 1]), 3.6, 0, 2 * Math.PI);
      ctx.fillStyle = y[i] === 1 ? '#0877bd' : '#f59322';
      ctx.fill();
      ctx.lineWidth = test ? 1.6 : 1;
      ctx.strokeStyle = test ? '#000' : '#fff';
      ctx.stroke();
    }
  };
  dot(points.trainX, points.trainY, false);
  dot(points.testX, points.testY, true);
  // Axes through the origin, with the range at the ends.
  ctx.strokeStyle = 'rgba(0,0,0,0.25)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, size / 2);
  ctx.lineTo(size, size / 2);
  ctx.moveTo(size / 2, 0);
  ctx.lineTo(size / 2, size);
  ctx.stroke();
  ctx.fillStyle = '#222';
  ctx.font = '12px Helvetica, Arial, sans-serif';
  ctx.fillText('x₁', size - 16, size / 2 - 5);
  ctx.fillText('x₂', size / 2 + 5, 13);
}

function drawNeurons(neurons: Float32Array[][]): void {
  const box = $('#train-neurons');
  const shape = neurons.map((l) => l.length).join(',');
  if (box.dataset.shape !== shape) {
    box.dataset.shape = shape;
    box.innerHTML = neurons
      .map((units, l) => `<div class="layer"><span>layer ${l + 1}</span><div class="units">${units.map((_, u) => `<canvas width="${GRID}" height="${GRID}" title="layer ${l + 1}, unit ${u + 1}" aria-label="layer ${l + 1}, unit ${u + 1}"></canvas>`).join('')}</div></div>`)
      .join('');
  }
  const canvases = box.querySelectorAll('canvas');
  let k = 0;
  for (const units of neurons) {
    for (const values of units) {
      let max = 1e-12;
      for (const v of values) max = Math.max(max, Math.abs(v));
      paint(canvases[k++], values, (v) => 0.5 + 0.5 * (v / max));
    }
  }
}

function drawLoss(v: RunView): void {
  const fig = $('#train-loss');
  // The per-batch loss is noisy: plot its running mean over 10 steps, thinned to at most 500 points.
  const n = v.losses.length, every = Math.max(1, Math.ceil(n / 500));
  const xs: number[] = [], smooth: number[] = [];
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += v.losses[i] - (i >= 10 ? v.losses[i - 10] : 0);
    if ((i + 1) % every === 0 || i === n - 1) {
      xs.push(i + 1);
      smooth.push(acc / Math.min(i + 1, 10));
    }
  }
  const evals = v.evals.filter((e, i) => i === 0 || e.step !== v.evals[i - 1].step);
  const series = [
    { name: 'batch loss (mean of 10 steps)', values: smooth, x: xs },
    { name: 'train loss (all train points)', values: evals.map((e) => e.train), x: evals.map((e) => e.step) },
    { name: 'test loss', values: evals.map((e) => e.test), x: evals.map((e) => e.step) },
  ];
  fig.innerHTML = lossCurvesSvg(series, { title: 'Cross-entropy loss', xLabel: 'step', yLabel: 'loss (log scale)', logY: true, width: 560, height: 360 });
  fig.dataset.losses = v.losses.slice(0, KEPT).join(' ');
}
