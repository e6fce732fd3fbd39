/**
 * Data augmentation for image batches, after torchvision's transforms: `randomHorizontalFlip` and `randomCrop`
 * (pad, then crop back to the image size). `Trainer.fit` applies them, in the order given, to each training batch
 * after it is gathered, so the data set itself never changes and validation, evaluation and prediction see the
 * images as they are. Draws come from a generator reseeded for every batch from one number drawn per epoch, so a
 * run resumed mid-epoch augments its remaining batches exactly as an uninterrupted run would.
 */
import { checkInt, checkNumber, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import type { Rng } from '../rng.js';

/** A sample's `[channels, height, width]`. */
export type ImageShape = readonly [number, number, number];

/**
 * A random transform of image rows, applied in place to a training batch by `Trainer.fit` (`augment` option).
 * Write your own by implementing `apply`; draw only from the `rng` given, so runs repeat and resume exactly.
 * @example
 * const invert: Augmentation = { name: 'invert', apply: (x, size) => { for (let i = 0; i < size * 784; i++) x[i] = -x[i]; } };
 */
export interface Augmentation {
  /** The transform and its options, e.g. `randomCrop(padding=2, fill=0)`. */
  readonly name: string;
  /** Transforms the first `size` rows of `batch` (each `shape`, channel planes in order) in place. */
  apply(batch: Float32Array, size: number, shape: ImageShape, rng: Rng): void;
}

/**
 * Mirrors each image left to right with probability `p` (default 0.5), like torchvision's `RandomHorizontalFlip`.
 * @example await trainer.fit({ x, y }, { epochs: 20, augment: [randomHorizontalFlip()] });
 */
export function randomHorizontalFlip(options: { p?: number } = {}): Augmentation {
  const call = 'randomHorizontalFlip';
  const o = checkOptions(call, options, ['p']) as { p?: number };
  const p = checkNumber(call, 'p', o.p ?? 0.5, 0, 1);
  return {
    name: `randomHorizontalFlip(p=${p})`,
    apply(batch, size, [c, h, w], rng) {
      const per = c * h * w;
      for (let r = 0; r < size; r++) {
        // One draw per image whatever p is, so p changes which images flip and not the draws that follow.
        if (!(rng.uniform() < p)) continue;
        for (let row = r * per, end = row + per; row < end; row += w) batch.subarray(row, row + w).reverse();
      }
    },
  };
}

/**
 * Pads each image by `padding` pixels on every side with `fill` and crops an image of the original size at a
 * uniformly drawn offset: torchvision's `RandomCrop(size, padding, fill)` with `size` the image's own. Every image
 * moves by −padding…padding pixels in each direction; the pixels it uncovers take `fill`. Give `fill` in the units
 * the model sees: for standardised inputs, a black pixel is `(0 − mean) / std`.
 * @example await trainer.fit({ x, y }, { epochs: 20, augment: [randomHorizontalFlip(), randomCrop({ padding: 2, fill: -0.81 })] });
 */
export function randomCrop(options: { padding: number; fill?: number }): Augmentation {
  const call = 'randomCrop';
  const o = checkOptions(call, options, ['padding', 'fill']) as { padding: number; fill?: number };
  const padding = checkInt(call, 'padding', o.padding, 0, 1 << 16);
  const fill = checkNumber(call, 'fill', o.fill ?? 0);
  let plane = new Float32Array(0);
  return {
    name: `randomCrop(padding=${padding}, fill=${fill})`,
    apply(batch, size, [c, h, w], rng) {
      if (plane.length < h * w) plane = new Float32Array(h * w);
      const span = 2 * padding + 1;
      for (let r = 0; r < size; r++) {
        // Output pixel (y, x) is input pixel (y + dy, x + dx): the crop's corner in the padded image, less padding.
        const dy = rng.int(span) - padding, dx = rng.int(span) - padding;
        if (dy === 0 && dx === 0) continue;
        for (let ch = 0; ch < c; ch++) {
          const at = (r * c + ch) * h * w;
          plane.set(batch.subarray(at, at + h * w));
          for (let y = 0; y < h; y++) {
            const from = y + dy, out = at + y * w;
            if (from < 0 || from >= h) {
              batch.fill(fill, out, out + w);
              continue;
            }
            // Columns x with 0 ≤ x + dx < w come from the image; the rest are fill.
            const lo = Math.min(w, Math.max(0, -dx)), hi = Math.max(lo, Math.min(w, w - dx));
            batch.fill(fill, out, out + lo);
            batch.set(plane.subarray(from * w + lo + dx, from * w + hi + dx), out + lo);
            batch.fill(fill, out + hi, out + w);
          }
        }
      }
    },
  };
}

/** Checks `Trainer.fit`'s `augment` option: one augmentation or a list, and image-shaped samples to apply it to. */
export function checkAugment(call: string, value: unknown, inputShape: readonly number[]): Augmentation[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((a, i) => {
    if (a === null || typeof a !== 'object' || typeof (a as Augmentation).apply !== 'function') {
      throw optionError(call, Array.isArray(value) ? `augment[${i}]` : 'augment', 'an Augmentation (randomHorizontalFlip(), randomCrop({ padding }) or an object with apply)', a);
    }
  });
  if (list.length > 0 && inputShape.length !== 3) {
    throw optionError(call, 'augment', 'used with a model whose samples are images [channels, height, width]', `inputShape [${inputShape.join(', ')}]`);
  }
  return list as Augmentation[];
}
