/**
 * The native backend loader (C++ SIMD over N-API). Implemented by the native backend issue; until then it
 * reports why it is unavailable.
 */
import type { BackendLoader } from './registry.js';

export const nativeLoader: BackendLoader = {
  load() {
    throw new Error('the native addon is not part of this build');
  },
};
