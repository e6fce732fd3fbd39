import { registerBackend } from './registry.js';
import { nativeLoader } from './native.js';
import { wasmLoader } from './wasm.js';

registerBackend('native', nativeLoader, 3);
registerBackend('wasm', wasmLoader, 2);

export { availableBackends, getBackend, loadBackend, registerBackend, setBackend } from './registry.js';
export type { BackendLoader } from './registry.js';
export type { Backend, BackendInfo, BackendName } from './types.js';
export type { LoadBackendOptions, WasmSource } from './wasm.js';
export { jsBackend, jsKernels } from './js.js';
export { setThreads, getThreads } from './threads.js';
