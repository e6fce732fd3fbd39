/**
 * The 8×8 handwritten digits (1,797 images, 10 classes; pixel values 0–16), shipped with the package. From the
 * UCI Optical Recognition of Handwritten Digits data set (Alpaydin & Kaynak, 1998; CC BY 4.0), as distributed
 * with scikit-learn (`sklearn/datasets/data/digits.csv.gz`: 64 pixels then the label per line). Node only.
 */
import { fs, nodeOnly, packageRoot, path, zlib } from '../node.js';

/** A labelled data set in memory: what the loaders return and what `Trainer.fit` takes. */
export interface LabelledData {
  /** Row-major features, `count × features`. */
  x: Float32Array;
  /** Class labels. */
  y: Int32Array;
  count: number;
  /** Values per sample (the product of `shape`). */
  features: number;
  /** Per-sample shape, PyTorch's order without the batch axis: `[features]` for tables, `[C, H, W]` for images. */
  shape: number[];
  classes: number;
}

/**
 * Loads the bundled digits, pixels scaled to [0, 1].
 * @example const { x, y } = loadDigits();   // x: 1797·64 floats, y: 1797 labels
 */
export function loadDigits(): LabelledData {
  nodeOnly('loadDigits', 'fetch a copy of the package\'s src/data/digits.csv.gz, gunzip it (`new Response(body.pipeThrough(new DecompressionStream(\'gzip\'))).text()`) and pass the text to parseCsv(text, { header: false, label: \'last\' }); pixels are 0–16.');
  const file = path().join(packageRoot(), 'src', 'data', 'digits.csv.gz');
  const text = zlib().gunzipSync(fs().readFileSync(file)).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const features = 64, count = lines.length;
  const x = new Float32Array(count * features), y = new Int32Array(count);
  lines.forEach((line, i) => {
    const cells = line.split(',');
    if (cells.length !== features + 1) throw new Error(`digits.csv.gz line ${i + 1}: expected ${features + 1} values, found ${cells.length}`);
    for (let j = 0; j < features; j++) x[i * features + j] = Number(cells[j]) / 16;
    y[i] = Number(cells[features]);
  });
  // The pixels are an 8×8 grey image: one channel, like IDX images.
  return { x, y, count, features, shape: [1, 8, 8], classes: 10 };
}

/**
 * A seeded split into train and test rows (stratification is not needed at this size: the classes are balanced).
 */
export function splitRows(data: LabelledData, testFraction: number, shuffle: (a: Int32Array) => Int32Array): { train: LabelledData; test: LabelledData } {
  const order = shuffle(new Int32Array(data.count).map((_, i) => i));
  const testCount = Math.round(data.count * testFraction);
  const pick = (rows: Int32Array): LabelledData => {
    const x = new Float32Array(rows.length * data.features), y = new Int32Array(rows.length);
    rows.forEach((r, i) => {
      x.set(data.x.subarray(r * data.features, (r + 1) * data.features), i * data.features);
      y[i] = data.y[r];
    });
    return { ...data, x, y, count: rows.length };
  };
  return { test: pick(order.subarray(0, testCount)), train: pick(order.subarray(testCount)) };
}
