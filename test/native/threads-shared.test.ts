/**
 * The threading model the README documents: one native thread pool per process. `setThreads` (and
 * DESCENT_THREADS) is process-wide: a call in one worker_thread changes the count for the main thread and every
 * other worker, and a new worker starts with the process's current count, not its own default. Workers load the
 * built package (dist/), the main thread the sources; both reach the same addon, as two workers would.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { getThreads, setThreads } from '../../src/index.js';

const entry = new URL('../../dist/src/index.js', import.meta.url).href;

/** A worker that runs `setThreads(n)` (n = 0: don't) when told, and answers with getThreads(). */
function startWorker(): { ask(n: number): Promise<number>; stop(): Promise<number> } {
  const source = `
    import { parentPort } from 'node:worker_threads';
    const d = await import(${JSON.stringify(entry)});
    parentPort.on('message', (n) => parentPort.postMessage(n > 0 ? d.setThreads(n) : d.getThreads()));
    parentPort.postMessage('ready');`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
  const replies: ((v: number) => void)[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m) => (m === 'ready' ? resolve() : replies.shift()!(m as number)));
  });
  return {
    ask: async (n) => {
      await ready;
      return new Promise<number>((resolve) => {
        replies.push(resolve);
        worker.postMessage(n);
      });
    },
    stop: () => worker.terminate(),
  };
}

describe('native threads across worker_threads', () => {
  const initial = getThreads();
  afterAll(() => setThreads(initial));

  it('setThreads anywhere sets the one process-wide pool; new workers start with the current count', async () => {
    setThreads(3);
    const a = startWorker();
    expect(await a.ask(0)).toBe(3); // not its own default (the CPU count): the process's count
    expect(await a.ask(1)).toBe(1); // worker A sets 1 …
    expect(getThreads()).toBe(1); // … for the main thread too
    const b = startWorker();
    expect(await b.ask(0)).toBe(1); // … and for a worker started afterwards
    setThreads(2);
    expect(await a.ask(0)).toBe(2);
    expect(await b.ask(0)).toBe(2);
    await Promise.all([a.stop(), b.stop()]);
  });
});
