import { loadBackend } from 'descent-nn';
import wasmUrl from 'descent-nn/descent.wasm'; // esbuild's file loader copies it next to the bundle
import { demo } from '../demo.js';

const backend = await loadBackend('auto', { wasm: new URL(wasmUrl, import.meta.url) });
document.body.textContent = `${backend.name}: ${demo()}`;
