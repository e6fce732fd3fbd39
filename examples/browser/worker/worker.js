import { loadBackend } from 'descent-nn';
import { demo } from '../demo.js';

const backend = await loadBackend(); // each worker loads its own wasm instance
postMessage(`${backend.name}: ${demo()}`);
