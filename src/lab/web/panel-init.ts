/**
 * Panel 2: the deep-MLP initialisation experiment with a backward pass: per-layer histograms of activations and
 * of the gradients flowing back, and a table of mean/std by depth.
 */
import { histogramPanelsSvg } from '../svg.js';
import { INIT_CHOICES, type InitChoice } from './inits.js';
import { $, fmt, num, onChange, setState, showError, text, type Lab } from './ui.js';
import type { ActivationName } from '../../nn/activation-table.js';

export function setupInit(lab: Lab): { show(): void } {
  let latest = 0;
  const run = async () => {
    const status = $('#init-status');
    const options = {
      depth: num('depth'), width: num('width'), batch: num('ibatch'), activation: text('iact') as ActivationName, init: text('init') as InitChoice, seed: num('iseed'),
      params: { slope: num('slope'), alpha: num('alpha') },
    };
    const call = lab.call('init', { options });
    latest = call.id;
    status.classList.remove('error');
    status.textContent = 'computing…';
    $('#init').dataset.ready = 'false';
    try {
      const r = await call;
      if (call.id !== latest) return;
      const what = `${options.activation} after Linear(${options.width}, ${options.width}, bias=False) × ${options.depth}, init ${INIT_CHOICES[options.init].label}`;
      status.textContent = `${what}, batch ${options.batch}, seed ${options.seed}, backend ${r.backend}`;
      // Rows of three for the lecture's six layers; wider rows for deep networks.
      const columns = options.depth <= 4 ? options.depth : options.depth <= 9 ? 3 : 5;
      $('#init-acts').innerHTML = histogramPanelsSvg(r.activations, { title: `Activations: ${options.activation} output by layer`, columns });
      $('#init-grads').innerHTML = histogramPanelsSvg(r.gradients, { title: 'Gradients ∂L/∂h flowing back into each layer (upstream N(0, 1))', columns });
      const rows = r.activations.map((a, i) => {
        const g = r.gradients[i];
        const flag = a.deadFraction > 0 ? `dead ${Math.round(100 * a.deadFraction)}%` : a.saturatedFraction > 0.005 ? `saturated ${Math.round(100 * a.saturatedFraction)}%` : '';
        return `<tr data-layer="${i + 1}" data-mean="${a.mean}" data-std="${a.std}" data-grad-std="${g.std}"><td>layer ${i + 1}</td><td>${fmt(a.mean)}</td><td>${fmt(a.std)}</td><td>${flag}</td><td>${fmt(g.std)}</td></tr>`;
      });
      $('#init-table').innerHTML = `<thead><tr><th>hidden layer</th><th>activation mean</th><th>activation std</th><th></th><th>gradient std</th></tr></thead><tbody>${rows.join('')}</tbody>`;
      $('#init').dataset.ready = 'true';
    } catch (error) {
      if (call.id === latest) showError(status, error);
    }
  };
  onChange(['init', 'iact', 'depth', 'width', 'ibatch', 'iseed'], run);
  // One click per case of the lecture: activation, initialiser and width (the rest stays as set).
  $('#init-presets').addEventListener('click', (e) => {
    const preset = (e.target as HTMLElement).closest<HTMLElement>('[data-preset]')?.dataset.preset;
    if (!preset) return;
    const [activation, initName, width] = preset.split(',');
    setState('iact', activation);
    setState('init', initName);
    setState('width', width);
    void run();
  });
  let shown = false;
  return { show: () => { if (!shown) { shown = true; void run(); } } };
}
