/**
 * What the page's panels share: the worker client, the page state (every control with a `data-key` is one entry,
 * mirrored in the URL's query so a link reproduces the page), and small DOM helpers.
 */
import { escapeXml, formatNumber } from '../svg.js';
import type { Request, Results, TrainProgress } from './protocol.js';

// ------------------------------------------------------------------------------------------ worker

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

/** The experiment worker: `call('race', { options })` resolves with the worker's answer. */
export class Lab {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Called with every snapshot a running training posts. */
  onProgress: (p: TrainProgress) => void = () => {};

  constructor() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event: MessageEvent) => {
      const data = event.data as { id?: number; kind?: string; ok?: boolean; result?: unknown; error?: string };
      if (data.kind === 'train-progress') return this.onProgress(data as TrainProgress);
      const p = this.pending.get(data.id!);
      if (!p) return;
      this.pending.delete(data.id!);
      if (data.ok) p.resolve(data.result);
      else p.reject(new Error(data.error));
    };
    this.worker.onerror = (event) => {
      const error = new Error(`the lab's worker failed: ${event.message}`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
  }

  call<K extends Request['kind']>(kind: K, fields: Omit<Extract<Request, { kind: K }>, 'id' | 'kind'>): Promise<Results[K]> & { id: number } {
    const id = this.nextId++;
    const promise = new Promise<Results[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, kind, ...fields });
    });
    return Object.assign(promise, { id });
  }
}

// ------------------------------------------------------------------------------------------ state

type Control = HTMLInputElement | HTMLSelectElement;

const controls = (): Control[] => Array.from(document.querySelectorAll<Control>('[data-key]'));

/** Remembers every control's initial value as its default (defaults stay out of the URL), then applies the URL. */
export function initState(): void {
  const query = new URLSearchParams(location.search);
  for (const c of controls()) {
    c.dataset.default = c.value;
    const v = query.get(c.dataset.key!);
    if (v !== null) setValue(c, v);
  }
  syncOutputs();
}

/** Sets a control's value; a select without that option keeps its default (a hand-edited URL cannot break the page). */
function setValue(c: Control, v: string): void {
  if (c instanceof HTMLSelectElement && !Array.from(c.options).some((o) => o.value === v)) return;
  c.value = v;
}

/** The control for a key. */
export function control(key: string): Control {
  const c = document.querySelector<Control>(`[data-key="${key}"]`);
  if (!c) throw new Error(`no control for ${key}`);
  return c;
}

/** A value as text. */
export const text = (key: string): string => control(key).value;

/** A value as a number; `data-log10` sliders hold the exponent. */
export function num(key: string): number {
  const c = control(key);
  const v = Number(c.value);
  return c.dataset.log10 ? 10 ** v : v;
}

/** Sets a value programmatically (as the user would) and updates the URL. */
export function setState(key: string, value: string): void {
  setValue(control(key), value);
  writeUrl();
}

/** The page's query: the open panel and every value that differs from its default. */
export function writeUrl(): void {
  const query = new URLSearchParams();
  query.set('panel', currentPanel());
  for (const c of controls()) if (c.value !== c.dataset.default) query.set(c.dataset.key!, c.value);
  history.replaceState(null, '', `${location.pathname}?${query.toString().replace(/%2C/g, ',')}`);
  syncOutputs();
}

let panel = 'activations';
export const currentPanel = (): string => panel;
export function setPanel(name: string): void {
  panel = name;
}

/** The `<output data-for=key>` next to each slider shows its value. */
function syncOutputs(): void {
  for (const out of Array.from(document.querySelectorAll<HTMLOutputElement>('output[data-for]'))) {
    const key = out.dataset.for!;
    const c = control(key);
    out.value = key === 'steps' && c.value === '0' ? 'default' : c.dataset.log10 ? formatNumber(num(key)) : c.value;
  }
}

/** Calls `fn` after the given keys changed (input events, debounced to one call per frame). */
export function onChange(keys: string[], fn: () => void): void {
  let queued = false;
  const run = () => {
    queued = false;
    fn();
  };
  for (const key of keys) {
    control(key).addEventListener(control(key) instanceof HTMLSelectElement ? 'change' : 'input', () => {
      writeUrl();
      if (!queued) {
        queued = true;
        requestAnimationFrame(run);
      }
    });
  }
}

// ------------------------------------------------------------------------------------------ DOM

export function $<T extends HTMLElement = HTMLElement>(selector: string): T {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
}

/** A compact number for tables and read-outs (0.25, 1.2e−3, −0.5), and HTML escaping: the figures' own. */
export { formatNumber as fmt, escapeXml as esc };

/** Radio buttons (one choice) or checkboxes (several) that write a comma-separated value into `key`. */
export function choices(container: HTMLElement, key: string, options: { value: string; label: string }[], multiple: boolean): void {
  const selected = () => new Set(text(key).split(',').filter(Boolean));
  container.innerHTML = options
    .map((o) => `<label><input type="${multiple ? 'checkbox' : 'radio'}" name="${key}-choice" value="${escapeXml(o.value)}"${selected().has(o.value) ? ' checked' : ''}> ${escapeXml(o.label)}</label>`)
    .join('');
  const hidden = control(key);
  container.addEventListener('change', () => {
    const on = Array.from(container.querySelectorAll<HTMLInputElement>('input:checked')).map((i) => i.value);
    hidden.value = on.join(',');
    hidden.dispatchEvent(new Event('input'));
  });
}

/** Fills `<select class="activation-select">` elements with the activations. */
export function fillActivationSelects(names: readonly string[]): void {
  for (const s of Array.from(document.querySelectorAll<HTMLSelectElement>('select.activation-select'))) {
    s.innerHTML = names.map((n) => `<option value="${n}"${n === s.dataset.default ? ' selected' : ''}>${n}</option>`).join('');
  }
}

/** Shows an error in a status line (and keeps it off the console: the page stays usable). */
export function showError(el: HTMLElement, error: unknown): void {
  el.classList.add('error');
  el.textContent = error instanceof Error ? error.message : String(error);
}
