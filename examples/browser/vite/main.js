import { loadBackend } from 'descent-nn';
import { demo } from '../demo.js';

const backend = await loadBackend(); // Vite copies the .wasm files the package points at
document.body.textContent = `${backend.name}: ${demo()}`;
