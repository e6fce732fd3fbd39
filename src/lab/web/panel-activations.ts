/**
 * Panel 1: one activation's f and f′ from the kernels, with dead (f′ = 0) and saturated (|f′| < 0.05) regions
 * shaded, a hover/keyboard cursor reading f(x) and f′(x), and the lecture's three questions at x = −10, 0, 10.
 */
import { ACTIVATION_NAMES } from '../../nn/activation-table.js';
import { axes, doc, legend, PALETTE, polyline, px } from '../svg.js';
import type { CurveData } from './experiments.js';
import { $, choices, fmt, num, onChange, showError, text, type Lab } from './ui.js';

const SATURATED = 0.05;
const W = 640, H = 400, BOX = { x: 74, y: 24, w: 540, h: 306 };

let curves: CurveData[] | null = null;
let cursor = 0;

export function setupActivations(lab: Lab): { show(): void } {
  choices($('#act-choices'), 'act', ACTIVATION_NAMES.map((n) => ({ value: n, label: n })), false);
  let asked = '';
  const load = async () => {
    const key = `${text('slope')}|${text('alpha')}`;
    if (key === asked && curves) return draw();
    asked = key;
    try {
      curves = await lab.call('activations', { params: { slope: num('slope'), alpha: num('alpha') } });
      draw();
    } catch (error) {
      showError($('#act-readout'), error);
    }
  };
  onChange(['act', 'slope', 'alpha', 'range'], load);
  const chart = $('#act-chart');
  chart.addEventListener('pointermove', (e) => {
    const svg = chart.querySelector('svg');
    if (!svg) return;
    const r = svg.getBoundingClientRect();
    const sx = ((e.clientX - r.left) / r.width) * W;
    const range = num('range');
    cursor = Math.max(-range, Math.min(range, -range + ((sx - BOX.x) / BOX.w) * 2 * range));
    draw();
  });
  chart.addEventListener('keydown', (e) => {
    const range = num('range'), step = e.shiftKey ? range / 10 : 0.05 * Math.max(1, Math.round(range / 5));
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      cursor = Math.max(-range, Math.min(range, cursor + (e.key === 'ArrowLeft' ? -step : step)));
      e.preventDefault();
      draw();
    } else if (e.key === 'Home') {
      cursor = 0;
      draw();
    }
  });
  return { show: load };
}

/** The sample nearest to x on the 401-point grid of [−10, 10]. */
function at(c: CurveData, x: number): { x: number; y: number; dy: number } {
  const i = Math.max(0, Math.min(c.x.length - 1, Math.round(((x + 10) / 20) * (c.x.length - 1))));
  return { x: c.x[i], y: c.y[i], dy: c.dy[i] };
}

function draw(): void {
  const c = curves?.find((k) => k.name === text('act'));
  if (!c) return;
  const range = num('range');
  const idx: number[] = [];
  for (let i = 0; i < c.x.length; i++) if (c.x[i] >= -range - 1e-6 && c.x[i] <= range + 1e-6) idx.push(i);
  let lo = 0, hi = 1;
  for (const i of idx) {
    lo = Math.min(lo, c.y[i], c.dy[i]);
    hi = Math.max(hi, c.y[i], c.dy[i]);
  }
  const pad = (hi - lo) * 0.06;
  const a = axes(BOX, [-range, range], [lo - pad, hi + pad], { xLabel: 'x', yLabel: 'f(x) and f′(x)', fontSize: 13 });
  // Shaded regions: runs of grid points where the derivative is exactly 0 (dead) or tiny (saturated).
  const shade: string[] = [];
  const kind = (i: number) => (c.dy[i] === 0 ? 'dead' : Math.abs(c.dy[i]) < SATURATED ? 'saturated' : '');
  for (let k = 0; k < idx.length; ) {
    const here = kind(idx[k]);
    let e = k;
    while (e + 1 < idx.length && kind(idx[e + 1]) === here) e++;
    if (here) {
      const x0 = a.sx(k === 0 ? -range : (c.x[idx[k]] + c.x[idx[k - 1]]) / 2), x1 = a.sx(e === idx.length - 1 ? range : (c.x[idx[e]] + c.x[idx[e + 1]]) / 2);
      shade.push(`<rect x="${px(x0)}" y="${BOX.y}" width="${px(x1 - x0)}" height="${BOX.h}" fill="${here === 'dead' ? '#d5d5d5' : '#fbe3b8'}" data-region="${here}"/>`);
    }
    k = e + 1;
  }
  const pts = (v: Float32Array) => idx.map((i) => [a.sx(c.x[i]), a.sy(v[i])] as [number, number]);
  const marks = [-10, 0, 10].filter((x) => x >= -range && x <= range).map((x) => {
    const p = at(c, x);
    const anchor = x < 0 ? 'start' : x > 0 ? 'end' : 'middle';
    return `<circle cx="${px(a.sx(p.x))}" cy="${px(a.sy(p.dy))}" r="4.5" fill="${PALETTE[1]}"/><circle cx="${px(a.sx(p.x))}" cy="${px(a.sy(p.y))}" r="4.5" fill="${PALETTE[0]}"/>` +
      `<text x="${px(a.sx(p.x) + (x < 0 ? 6 : x > 0 ? -6 : 0))}" y="${px(Math.min(BOX.y + BOX.h - 8, a.sy(p.dy) - 9))}" font-size="13" text-anchor="${anchor}" fill="${PALETTE[1]}">f′(${fmt(x)}) = ${fmt(p.dy)}</text>`;
  });
  const cur = at(c, cursor);
  const cursorSvg = `<line x1="${px(a.sx(cur.x))}" y1="${BOX.y}" x2="${px(a.sx(cur.x))}" y2="${BOX.y + BOX.h}" stroke="#444" stroke-dasharray="3 3"/>` +
    `<circle cx="${px(a.sx(cur.x))}" cy="${px(a.sy(cur.y))}" r="4" fill="#fff" stroke="${PALETTE[0]}" stroke-width="2"/>` +
    `<circle cx="${px(a.sx(cur.x))}" cy="${px(a.sy(cur.dy))}" r="4" fill="#fff" stroke="${PALETTE[1]}" stroke-width="2"/>`;
  const entries = [{ text: `f(x) = ${c.label}(x)`, color: PALETTE[0] }, { text: 'f′(x), backward kernel', color: PALETTE[1], dash: '6 4' }];
  const swatches = `<rect x="${BOX.x + 8}" y="${BOX.y + 56}" width="170" height="42" fill="#fff" fill-opacity="0.9" stroke="#ccc"/><rect x="${BOX.x + 10}" y="${BOX.y + 62}" width="14" height="12" fill="#d5d5d5"/><text x="${BOX.x + 30}" y="${BOX.y + 72}" font-size="12">dead: f′ = 0</text>` +
    `<rect x="${BOX.x + 10}" y="${BOX.y + 80}" width="14" height="12" fill="#fbe3b8"/><text x="${BOX.x + 30}" y="${BOX.y + 90}" font-size="12">saturated: |f′| &lt; ${SATURATED}</text>`;
  const body = shade.join('') + a.svg + polyline(pts(c.y), PALETTE[0], { width: 2.6 }) + polyline(pts(c.dy), PALETTE[1], { width: 2.6, dash: '7 4' }) + marks.join('') + cursorSvg +
    legend(BOX.x + 8, BOX.y + 8, entries, 12) + swatches;
  $('#act-chart').innerHTML = doc(W, H, body, `${c.label}: f and f′`);

  const readout = $('#act-readout');
  readout.classList.remove('error');
  readout.textContent = `${c.label}: x = ${fmt(cur.x)}   f(x) = ${fmt(cur.y, 4)}   f′(x) = ${fmt(cur.dy, 4)}`;
  Object.assign(readout.dataset, { x: String(cur.x), y: String(cur.y), dy: String(cur.dy) });

  const rows = [-10, 0, 10].map((x) => {
    const p = at(c, x);
    const meaning = p.dy === 0 ? 'dead: no gradient passes' : Math.abs(p.dy) < SATURATED ? 'saturated: the gradient almost vanishes' : `passes ${fmt(p.dy)} × the gradient`;
    return `<tr data-x="${x}" data-f="${p.y}" data-df="${p.dy}"><td>x = ${fmt(x)}</td><td>${fmt(p.y, 4)}</td><td>${fmt(p.dy, 4)}</td><td>${meaning}</td></tr>`;
  });
  $('#act-questions').innerHTML = `<thead><tr><th>${c.label}</th><th>f(x)</th><th>f′(x)</th><th>what backprop sees</th></tr></thead><tbody>${rows.join('')}</tbody>`;
}
