/**
 * MNIST and Fashion-MNIST from their four IDX files (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`). Debian's `dataset-fashion-mnist` package installs
 * Fashion-MNIST in /usr/share/datasets/fashion-mnist; MNIST is looked for only where you point. Node only.
 */
import type { LabelledData } from './digits.js';
import { IDX_IN_A_BROWSER, loadIdxDataset } from './idx.js';
import { withCode } from '../errors.js';

const MNIST_IN_A_BROWSER = `${IDX_IN_A_BROWSER} Do that for the images and the labels of each split, then idxDataset(images, labels).`;
import { fs, nodeOnly, path } from '../node.js';

/** Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST (`loadFashionMnist`'s default). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's class names, by label. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The paths of the four IDX files of an MNIST-style data set, as `findMnistFiles` found them. */
export type MnistFiles = Record<keyof typeof FILES, string>;

/** The four files in `dir` (each plain or `.gz`), or `null` with the names that are missing. */
export function findMnistFiles(dir: string): { files: MnistFiles | null; missing: string[] } {
  nodeOnly('findMnistFiles', MNIST_IN_A_BROWSER);
  const files = {} as MnistFiles, missing: string[] = [];
  for (const [key, base] of Object.entries(FILES) as [keyof MnistFiles, string][]) {
    const hit = [base, `${base}.gz`].map((f) => path().join(dir, f)).find((f) => fs().existsSync(f));
    if (hit) files[key] = hit;
    else missing.push(`${base}[.gz]`);
  }
  return { files: missing.length ? null : files, missing };
}

/** The training and test splits of MNIST or Fashion-MNIST. */
export interface MnistSplits {
  train: LabelledData;
  test: LabelledData;
  /** Where the files were found. */
  dir: string;
}

function loadFrom(dir: string, files: MnistFiles): MnistSplits {
  return { train: loadIdxDataset(files.trainImages, files.trainLabels, { classes: 10 }), test: loadIdxDataset(files.testImages, files.testLabels, { classes: 10 }), dir };
}

function notFound(name: string, tried: { dir: string; missing: string[] }[], hint: string): Error {
  const lines = tried.map((t) => `  ${t.dir}: missing ${t.missing.join(', ')}`);
  return withCode(new Error(`${name} not found. Looked in:\n${lines.join('\n')}\n${hint}`), 'ERR_DATA');
}

/**
 * Fashion-MNIST (60,000 training and 10,000 test images of 28×28 pixels, values 0–255, 10 classes) from `dir`,
 * else from Debian's /usr/share/datasets/fashion-mnist.
 * @example const { train, test } = loadFashionMnist(); scaleToUnit(train.x);
 */
export function loadFashionMnist({ dir }: { dir?: string } = {}): MnistSplits {
  nodeOnly('loadFashionMnist', MNIST_IN_A_BROWSER);
  const dirs = dir ? [dir] : [FASHION_MNIST_DIR];
  const tried: { dir: string; missing: string[] }[] = [];
  for (const d of dirs) {
    const { files, missing } = findMnistFiles(d);
    if (files) return loadFrom(d, files);
    tried.push({ dir: d, missing });
  }
  throw notFound('Fashion-MNIST', tried, [
    'Get it with:  sudo apt-get install dataset-fashion-mnist   (Debian/Ubuntu; installs into /usr/share/datasets/fashion-mnist)',
    'or download the four .gz files from https://github.com/zalandoresearch/fashion-mnist (data/fashion) and pass --data DIR.',
  ].join('\n'));
}

/**
 * MNIST from `dir` (same four file names as Fashion-MNIST).
 * @example const { train, test } = loadMnist({ dir: 'data/mnist' });
 */
export function loadMnist({ dir }: { dir?: string } = {}): MnistSplits {
  nodeOnly('loadMnist', MNIST_IN_A_BROWSER);
  const hint = 'Download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (e.g. from https://ossci-datasets.s3.amazonaws.com/mnist/) into one directory and pass --data DIR.';
  if (!dir) throw withCode(new Error(`MNIST needs a directory: ${hint}`), 'ERR_DATA');
  const { files, missing } = findMnistFiles(dir);
  if (!files) throw notFound('MNIST', [{ dir, missing }], hint);
  return loadFrom(dir, files);
}
