/**
 * The wasm backend loader (AssemblyScript SIMD). Implemented by the wasm backend issue; until then it reports
 * why it is unavailable.
 */
import type { BackendLoader } from './registry.js';

export const wasmLoader: BackendLoader = {
  load() {
    throw new Error('the wasm module is not part of this build');
  },
};
