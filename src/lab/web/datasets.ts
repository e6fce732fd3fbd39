/**
 * The 2-D classification sets of the training panel, drawn from a seeded generator (the same seed gives the same
 * points): two classes in [−6, 6]², TensorFlow Playground's four shapes. `noise` in [0, 0.5] jitters the points.
 */
import type { Rng } from '../../rng.js';

export const DATASETS = ['circle', 'xor', 'spirals', 'gaussians'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** The shapes' radius: points stay inside [−6, 6]² for noise up to 0.5 (but for Gaussian tails). */
const R = 5;

/** `n` points (`x` row-major [n, 2]) with labels 0/1, half of each class. */
export function makeDataset(name: DatasetName, n: number, noise: number, rng: Rng): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(n * 2), y = new Int32Array(n);
  const jitter = () => rng.uniformRange(-1, 1) * noise * R;
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    let px: number, py: number;
    switch (name) {
      case 'circle': {
        // Class 1 inside radius R/2, class 0 on a ring from 0.7R to R.
        const r = label === 1 ? rng.uniformRange(0, 0.5 * R) : rng.uniformRange(0.7 * R, R);
        const angle = rng.uniformRange(0, 2 * Math.PI);
        px = r * Math.sin(angle) + jitter();
        py = r * Math.cos(angle) + jitter();
        y[i] = label;
        break;
      }
      case 'xor': {
        // Quadrants, kept 0.3 away from the axes; the label comes from the clean point.
        const pad = 0.3;
        const cx = rng.uniformRange(-R, R), cy = rng.uniformRange(-R, R);
        const qx = cx + (cx > 0 ? pad : -pad), qy = cy + (cy > 0 ? pad : -pad);
        px = qx + jitter();
        py = qy + jitter();
        y[i] = qx * qy >= 0 ? 1 : 0;
        break;
      }
      case 'spirals': {
        const k = Math.floor(i / 2), half = Math.ceil(n / 2);
        const r = (k / half) * R, t = (1.75 * k * 2 * Math.PI) / half + (label === 1 ? Math.PI : 0);
        px = r * Math.sin(t) + jitter();
        py = r * Math.cos(t) + jitter();
        y[i] = label;
        break;
      }
      case 'gaussians': {
        // Two blobs at (±2, ±2); noise widens them until they overlap.
        const std = 0.5 + 3 * noise, c = label === 1 ? 2 : -2;
        px = c + rng.normal() * std;
        py = c + rng.normal() * std;
        y[i] = label;
        break;
      }
    }
    x[2 * i] = px;
    x[2 * i + 1] = py;
  }
  return { x, y };
}
