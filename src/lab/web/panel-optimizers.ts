/**
 * Panel 3: optimizers race from one start point over a 2-D surface (the CLI's figure: contours, paths, loss by
 * step), a chart of step lengths, and a step inspector showing the gradient, the momentum buffer and the
 * adaptive denominator of one optimizer at one step, read from its real state after that step.
 */
import type { Trajectory } from '../landscapes.js';
import { OPTIMIZER_NAMES, SURFACES, type OptimizerName, type SurfaceName } from '../surfaces.js';
import { lossCurvesSvg, PALETTE, trajectoriesSvg } from '../svg.js';
import { $, choices, control, fmt, num, onChange, setState, showError, text, writeUrl, type Lab } from './ui.js';

const NAMES: Record<OptimizerName, string> = { sgd: 'SGD', momentum: 'Momentum', nesterov: 'Nesterov', adagrad: 'AdaGrad', rmsprop: 'RMSprop', adam: 'Adam', adamw: 'AdamW' };

let runs: Trajectory[] = [];

export function setupOptimizers(lab: Lab): { show(): void } {
  choices($('#opt-choices'), 'opts', OPTIMIZER_NAMES.map((n) => ({ value: n, label: NAMES[n] })), true);
  let latest = 0;
  const surface = () => SURFACES[text('surface') as SurfaceName];
  const start = (): [number, number] => {
    const parts = text('start').split(',').map(Number);
    return parts.length === 2 && parts.every(Number.isFinite) ? [parts[0], parts[1]] : surface().start;
  };
  const run = async () => {
    const s = surface();
    const chart = $('#race-chart');
    const options = {
      surface: s.name, start: start(), steps: num('steps'), optimizers: text('opts').split(',').filter(Boolean) as OptimizerName[],
      lrScale: num('lrx'), momentum: num('mom'), beta1: num('b1'), beta2: num('b2'), eps: num('eps'),
    };
    const call = lab.call('race', { options });
    latest = call.id;
    chart.dataset.ready = 'false';
    try {
      const result = await call;
      if (call.id !== latest) return;
      runs = result;
      chart.innerHTML = trajectoriesSvg(s, runs);
      chart.dataset.start = options.start.join(',');
      chart.dataset.ready = 'true';
      const steps = runs.reduce((m, t) => Math.max(m, t.points.length - 1), 1);
      const sel = control('sel') as HTMLSelectElement, was = sel.value;
      sel.innerHTML = runs.map((t) => `<option value="${t.optimizer}">${NAMES[t.optimizer as OptimizerName]}</option>`).join('');
      if (runs.some((t) => t.optimizer === was)) sel.value = was;
      const at = control('at') as HTMLInputElement;
      at.max = String(steps);
      if (Number(at.value) > steps) at.value = String(steps);
      $('#race-steps').innerHTML = runs.length
        ? lossCurvesSvg(runs.map((t) => ({ name: NAMES[t.optimizer as OptimizerName], values: t.points.slice(1).map(([x, y], i) => Math.hypot(x - t.points[i][0], y - t.points[i][1])), x: t.points.slice(1).map((_, i) => i + 1) })), {
            title: 'Step length ‖Δw‖ by step', yLabel: 'step length (log scale)', logY: true, width: 560, height: 360,
          })
        : '';
      $('#race-table').innerHTML = `<thead><tr><th>optimizer</th><th>lr</th><th>steps</th><th>ends at</th><th>f</th><th>distance from start</th></tr></thead><tbody>${runs
        .map((t) => {
          const end = t.points[t.points.length - 1], d = Math.hypot(end[0] - options.start[0], end[1] - options.start[1]);
          const where = t.diverged ? 'diverged' : `(${fmt(end[0])}, ${fmt(end[1])})`;
          return `<tr data-optimizer="${t.optimizer}" data-distance="${d}" data-x="${end[0]}" data-y="${end[1]}"><td>${NAMES[t.optimizer as OptimizerName]}</td><td>${fmt(t.lr)}</td><td>${t.points.length - 1}</td><td>${where}</td><td>${fmt(t.losses[t.losses.length - 1])}</td><td>${fmt(d)}</td></tr>`;
        })
        .join('')}</tbody>`;
      inspect();
    } catch (error) {
      if (call.id === latest) showError($('#inspector'), error);
    }
  };
  onChange(['surface', 'opts', 'lrx', 'mom', 'b1', 'b2', 'eps', 'steps', 'start'], run);
  control('surface').addEventListener('change', () => {
    // A new surface starts from its own default point.
    setState('start', '');
    void run();
  });
  onChange(['sel', 'at'], inspect);

  const chart = $('#race-chart');
  const moveTo = (x: number, y: number) => {
    const round = (v: number) => Number(v.toPrecision(3));
    setState('start', `${round(x)},${round(y)}`);
    void run();
  };
  chart.addEventListener('click', (e) => {
    const plot = chart.querySelector<SVGRectElement>('[data-plot-window]');
    if (!plot) return;
    const r = plot.getBoundingClientRect();
    const fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
    const { x, y } = surface().domain;
    moveTo(x[0] + fx * (x[1] - x[0]), y[1] - fy * (y[1] - y[0]));
  });
  chart.addEventListener('keydown', (e) => {
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    const { x, y } = surface().domain, f = e.shiftKey ? 0.1 : 0.02;
    const [sx, sy] = start();
    moveTo(sx + m[0] * f * (x[1] - x[0]), sy + m[1] * f * (y[1] - y[0]));
  });
  let shown = false;
  return { show: () => { if (!shown) { shown = true; void run(); } } };
}

/** The inspector table for the selected optimizer and step, and a marker on its path. */
function inspect(): void {
  const t = runs.find((r) => r.optimizer === text('sel')) ?? runs[0];
  const table = $('#inspector');
  table.classList.remove('error');
  if (!t || t.points.length < 2) {
    table.innerHTML = '';
    return;
  }
  const step = Math.max(1, Math.min(Number(text('at')), t.points.length - 1));
  const before = t.points[step - 1], after = t.points[step], g = t.gradients[step - 1];
  const state = t.states?.[step - 1] ?? {};
  const vec = (key: string) => state[key] as number[] | undefined;
  const pair = (v: readonly number[] | undefined) => (v ? `(${fmt(v[0], 4)}, ${fmt(v[1], 4)})` : '—');
  const name = t.optimizer as OptimizerName;
  const eps = num('eps'), b1 = num('b1'), b2 = num('b2');
  let momentum: number[] | undefined, denominator: number[] | undefined, momentumLabel = 'momentum buffer', denominatorLabel = 'adaptive denominator';
  if (name === 'momentum' || name === 'nesterov') momentum = vec('momentum_buffer');
  if (name === 'adagrad') {
    denominator = vec('sum')?.map((v) => Math.sqrt(v) + eps);
    denominatorLabel = 'denominator √(Σg²) + ε';
  }
  if (name === 'rmsprop') {
    denominator = vec('square_avg')?.map((v) => Math.sqrt(v) + eps);
    denominatorLabel = 'denominator √E[g²] + ε';
  }
  if (name === 'adam' || name === 'adamw') {
    momentum = vec('exp_avg')?.map((v) => v / (1 - b1 ** step));
    momentumLabel = 'first moment m̂ (bias-corrected)';
    denominator = vec('exp_avg_sq')?.map((v) => Math.sqrt(v / (1 - b2 ** step)) + eps);
    denominatorLabel = 'denominator √v̂ + ε';
  }
  const delta = [after[0] - before[0], after[1] - before[1]];
  const rows: [string, string, string][] = [
    ['position before the step', pair(before), 'position'],
    ['gradient g', pair(g), 'gradient'],
    [momentumLabel, name === 'sgd' || name === 'adagrad' || name === 'rmsprop' ? '— (none)' : pair(momentum), 'momentum'],
    [denominatorLabel, denominator ? pair(denominator) : '— (none: a plain step)', 'denominator'],
    ['step taken Δw', pair(delta), 'delta'],
    ['effective learning rate −Δw/g', pair(delta.map((d, i) => (g[i] === 0 ? NaN : -d / g[i]))), 'effective'],
    ['f after the step', fmt(t.losses[step], 4), 'loss'],
  ];
  table.innerHTML = `<caption>${NAMES[name]} (lr ${fmt(t.lr)}), step ${step} of ${t.points.length - 1}</caption><tbody>${rows
    .map(([label, value, key]) => `<tr data-row="${key}"><td>${label}</td><td>${value}</td></tr>`)
    .join('')}</tbody>`;
  // Mark the step on the path.
  const svg = $('#race-chart').querySelector('svg');
  const plot = svg?.querySelector<SVGRectElement>('[data-plot-window]');
  if (!svg || !plot) return;
  const [x0, x1, y0, y1] = plot.dataset.plotWindow!.split(' ').map(Number);
  const bx = Number(plot.getAttribute('x')), by = Number(plot.getAttribute('y')), bw = Number(plot.getAttribute('width')), bh = Number(plot.getAttribute('height'));
  const cx = bx + ((after[0] - x0) / (x1 - x0)) * bw, cy = by + bh - ((after[1] - y0) / (y1 - y0)) * bh;
  svg.querySelector('#inspect-marker')?.remove();
  if (cx >= bx && cx <= bx + bw && cy >= by && cy <= by + bh) {
    const color = PALETTE[runs.indexOf(t) % PALETTE.length];
    const marker = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    for (const [k, v] of Object.entries({ id: 'inspect-marker', cx: cx.toFixed(1), cy: cy.toFixed(1), r: '7', fill: 'none', stroke: color, 'stroke-width': '3' })) marker.setAttribute(k, v);
    svg.appendChild(marker);
  }
  writeUrl();
}
