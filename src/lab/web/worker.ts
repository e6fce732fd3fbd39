/**
 * The lab page's worker: loads descent's wasm backend (the .wasm files sit next to this bundle) and runs every
 * experiment, so the page itself only draws and never stutters. Training runs in slices of about 40 ms between
 * which messages (pause, reconfigure) are handled; each slice ends with a snapshot posted to the page.
 */
import { loadBackend } from '../../backends/index.js';
import { activationCurves, initExperiment, race, TrainingSession } from './experiments.js';
import type { Reply, Request, TrainProgress } from './protocol.js';

const scope = self as unknown as { postMessage(message: unknown, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<Request>) => void) | null };

/**
 * The best module this engine and page allow, from the files next to this bundle: threaded (the page is served
 * cross-origin isolated, and this is a worker, where a kernel call may wait for its team) with relaxed SIMD, then
 * threaded, then single-threaded with and without relaxed SIMD. A module the engine cannot use is refused with
 * the reason, and the next one is tried.
 */
const MODULES = ['descent-relaxed-threads.wasm', 'descent-threads.wasm', 'descent-relaxed.wasm', 'descent.wasm'];
const backend = (async () => {
  let failure: unknown;
  for (const file of MODULES) {
    try {
      return await loadBackend('wasm', { wasm: new URL(file, import.meta.url) });
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
})();

let session: TrainingSession | null = null;
let sessionId = 0;
let until = 0;
let running = false;
/** Steps per slice (0: as many as fit in 40 ms); slices follow each other at about 60 per second. */
let speed = 10;
let timer: ReturnType<typeof setTimeout> | undefined;

/** Trains for about 40 ms (never past `until`), posts a snapshot, and schedules the next slice while running. */
function slice(): void {
  timer = undefined;
  if (!session || !running) return;
  const started = performance.now();
  let steps = 0;
  do {
    const left = until > 0 ? until - session.step : Infinity;
    if (left <= 0) break;
    const chunk = Math.min(speed > 0 ? speed - steps : 10, left);
    session.run(chunk);
    steps += chunk;
  } while (speed > 0 ? steps < speed : performance.now() - started < 40);
  if (until > 0 && session.step >= until) running = false;
  post(session);
  if (running) timer = setTimeout(slice, speed > 0 ? Math.max(0, 16 - (performance.now() - started)) : 0);
}

function post(s: TrainingSession): void {
  const snapshot = s.snapshot();
  const message: TrainProgress = { kind: 'train-progress', session: sessionId, snapshot, running };
  scope.postMessage(message, [snapshot.probability.buffer, ...snapshot.neurons.flat().map((a) => a.buffer)]);
}

async function handle(request: Request): Promise<unknown> {
  const b = await backend;
  switch (request.kind) {
    case 'hello':
      return { backend: b.name, detail: b.detail };
    case 'activations':
      return activationCurves(request.params);
    case 'init':
      return initExperiment(request.options);
    case 'race':
      return race(request.options);
    case 'train-setup': {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      session?.dispose();
      session = null;
      session = new TrainingSession(request.config);
      sessionId = request.id;
      until = request.until;
      return { ...session.points(), snapshot: session.snapshot(), session: sessionId };
    }
    case 'train-play':
      speed = request.speed;
      if (session && !running && !(until > 0 && session.step >= until)) {
        running = true;
        timer = setTimeout(slice, 0);
      }
      return running;
    case 'train-pause':
      running = false;
      if (session) post(session);
      return null;
    case 'train-step':
      if (session && !running) {
        session.run(1);
        post(session);
      }
      return null;
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  handle(request).then(
    (result) => scope.postMessage({ id: request.id, ok: true, result } satisfies Reply),
    (error: unknown) => scope.postMessage({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies Reply),
  );
};
