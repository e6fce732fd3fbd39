/**
 * Issue 12, defect 13: wasm memory of models dropped without dispose() goes back to the allocator once the garbage
 * collector reclaims their handles (a FinalizationRegistry), and wasm heap exhaustion is ERR_MEMORY. The test
 * reaches V8's gc() through --expose-gc set at run time (v8.setFlagsFromString), so vitest needs no extra flag.
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Adam, KERNELS, Linear, ReLU, Sequential, setBackend, Trainer, type Backend } from '../../src/index.js';
import { wasmBackendFromInstance, type WasmBackend } from '../../src/backends/wasm.js';
import { BACKENDS, randn, rng } from '../helpers.js';
import { expectCode } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const wasm = BACKENDS.find((b) => b.name === 'wasm') as WasmBackend | undefined;

async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    // Finalization callbacks run in their own task after a collection.
    await new Promise((r) => setTimeout(r, 0));
  }
}

describe('wasm memory reclaim', () => {
  it('200 models, optimizers and trainers dropped without dispose() keep the heap bounded', async () => {
    expect(wasm, 'the wasm backend must load here').toBeDefined();
    setBackend(wasm as Backend);
    const r = rng(1);
    const x = randn(r, 8 * 256), y = Int32Array.from({ length: 8 }, () => r.int(10));
    const drop = () => {
      // ~0.55 MB of weights and gradients plus 0.55 MB of Adam state per model.
      const model = new Sequential([new Linear(256, 256), new ReLU(), new Linear(256, 10)]);
      const trainer = new Trainer(model, { optimizer: new Adam(model.parameters()), loss: 'crossEntropy' });
      trainer.step(x, y);
    };
    for (let i = 0; i < 10; i++) drop();
    await collect();
    const settled = wasm!.memory.buffer.byteLength;
    for (let i = 0; i < 200; i++) {
      drop();
      if (i % 20 === 19) await collect();
    }
    await collect();
    // Without reclaiming, 200 models need > 200 MB more; with it the heap stays within a few dozen models' worth.
    const grown = wasm!.memory.buffer.byteLength - settled;
    expect(grown).toBeLessThan(32 << 20);
  }, 120_000);

  it('heap exhaustion inside the module is ERR_MEMORY naming the size and the heap', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    // Every kernel export is present (the loader checks them), only the allocator fails.
    const kernels = Object.fromEntries(Object.keys(KERNELS).map((name) => [name, () => {}]));
    const exports = {
      ...kernels,
      memory,
      alloc: () => {
        // What the module's allocator does when memory.grow fails.
        throw new WebAssembly.RuntimeError('unreachable');
      },
      free: () => {},
    };
    const backend = wasmBackendFromInstance({ exports } as unknown as WebAssembly.Instance, false);
    expectCode(() => backend.alloc(1000), 'ERR_MEMORY', /cannot allocate 1000 elements .*wasm heap is exhausted at 65536 bytes/);
  });
});
