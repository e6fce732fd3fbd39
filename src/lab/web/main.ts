/**
 * The lab page: four panels (activations, initialisation, optimizers, live training) over one worker that runs
 * descent's wasm backend. Tabs follow the WAI-ARIA pattern (arrow keys, Home/End); the open panel and every
 * setting live in the URL.
 */
import { ACTIVATION_NAMES } from '../../nn/activation-table.js';
import { setupActivations } from './panel-activations.js';
import { setupInit } from './panel-init.js';
import { setupOptimizers } from './panel-optimizers.js';
import { setupTrain } from './panel-train.js';
import { $, currentPanel, fillActivationSelects, initState, Lab, setPanel, showError, writeUrl } from './ui.js';

const lab = new Lab();
fillActivationSelects(ACTIVATION_NAMES);
initState();
const panels: Record<string, { show(): void }> = {
  activations: setupActivations(lab),
  init: setupInit(lab),
  optimizers: setupOptimizers(lab),
  train: setupTrain(lab),
};
const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>('[role="tab"]'));

function open(name: string, focus = false): void {
  if (!(name in panels)) name = 'activations';
  setPanel(name);
  for (const tab of tabs) {
    const on = tab.dataset.tab === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
    $(`#${tab.dataset.tab}`).hidden = !on;
  }
  writeUrl();
  panels[name].show();
}

for (const tab of tabs) {
  tab.addEventListener('click', () => open(tab.dataset.tab!));
  tab.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const j = e.key === 'ArrowRight' ? (i + 1) % tabs.length : e.key === 'ArrowLeft' ? (i + tabs.length - 1) % tabs.length : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : -1;
    if (j < 0) return;
    e.preventDefault();
    open(tabs[j].dataset.tab!, true);
  });
}

$('#share').addEventListener('click', async () => {
  const note = $('#share-note');
  try {
    await navigator.clipboard.writeText(location.href);
    note.textContent = 'link copied';
  } catch {
    note.textContent = location.href;
  }
});

open(new URLSearchParams(location.search).get('panel') ?? currentPanel());
lab.call('hello', {}).then(
  (b) => {
    const el = $('#backend');
    el.textContent = `backend: ${b.backend} (${b.detail}), in a Web Worker`;
    el.dataset.backend = b.backend;
  },
  (error) => showError($('#backend'), error),
);
