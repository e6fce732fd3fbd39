/** IDX and CSV loaders, normalisers, split and one-hot: formats, header detection and every rejected input. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseIdx, loadIdx, loadIdxDataset } from '../../src/data/idx.js';
import { parseCsv, loadCsv } from '../../src/data/csv.js';
import { confusionMatrix, fitStandardizer, oneHot, scaleToUnit, standardize, trainValidationSplit } from '../../src/data/transforms.js';
import { findMnistFiles, loadFashionMnist, loadMnist } from '../../src/data/mnist.js';

function idx(type: number, dims: number[], body: number[]): Uint8Array {
  const head = [0, 0, type, dims.length];
  for (const d of dims) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return new Uint8Array([...head, ...body]);
}

const dir = mkdtempSync(join(tmpdir(), 'descent-data-'));

describe('IDX', () => {
  it('parses ubyte images and labels, plain and gzipped', () => {
    const images = idx(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    const labels = idx(0x08, [2], [7, 3]);
    writeFileSync(join(dir, 'img'), images);
    writeFileSync(join(dir, 'lab.gz'), gzipSync(labels));
    expect(parseIdx(images)).toMatchObject({ type: 'ubyte', dims: [2, 2, 3] });
    expect(Array.from(loadIdx(join(dir, 'lab.gz')).data)).toEqual([7, 3]);
    const d = loadIdxDataset(join(dir, 'img'), join(dir, 'lab.gz'), { classes: 10 });
    expect(d).toMatchObject({ count: 2, features: 6, shape: [1, 2, 3], classes: 10 });
    expect(Array.from(d.x.subarray(6))).toEqual([250, 251, 252, 253, 254, 255]);
    expect(Array.from(d.y)).toEqual([7, 3]);
  });

  it('reads big-endian multi-byte types', () => {
    const a = parseIdx(idx(0x0b, [2], [0xff, 0xfe, 0x01, 0x00]));
    expect(Array.from(a.data)).toEqual([-2, 256]);
    const f = parseIdx(idx(0x0d, [1], [0x3f, 0xc0, 0, 0]));
    expect(Array.from(f.data)).toEqual([1.5]);
  });

  it('rejects bad magic, unknown types, truncation and trailing bytes with the reason', () => {
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1]), 'f')).toThrow(/f: not a valid IDX file: magic number/);
    expect(() => parseIdx(idx(0x07, [1], [0]))).toThrow(/unknown type code 0x07/);
    expect(() => parseIdx(idx(0x08, [2, 2], [1, 2, 3]))).toThrow(/truncated: dimensions \[2, 2\] of ubyte need 16 bytes, found 15/);
    expect(() => parseIdx(idx(0x08, [1], [1, 2]))).toThrow(/trailing bytes/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]))).toThrow(/truncated header/);
    writeFileSync(join(dir, 'bad.gz'), gzipSync(idx(0x08, [4], [1, 2, 3, 4])).subarray(0, 15));
    expect(() => loadIdx(join(dir, 'bad.gz'))).toThrow(/gzip data is corrupt or truncated/);
  });

  it('rejects image/label count mismatches', () => {
    writeFileSync(join(dir, 'img2'), idx(0x08, [3, 2], [1, 2, 3, 4, 5, 6]));
    writeFileSync(join(dir, 'lab2'), idx(0x08, [2], [0, 1]));
    expect(() => loadIdxDataset(join(dir, 'img2'), join(dir, 'lab2'))).toThrow(/2 labels for 3 images/);
  });

  it('says where it looked and how to get Fashion-MNIST / MNIST', () => {
    expect(findMnistFiles(dir).missing).toContain('train-images-idx3-ubyte[.gz]');
    expect(() => loadFashionMnist({ dir })).toThrow(/apt-get install dataset-fashion-mnist/);
    expect(() => loadMnist()).toThrow(/--data DIR/);
    expect(() => loadMnist({ dir })).toThrow(/MNIST not found/);
  });
});

describe('CSV', () => {
  it('detects a header and a label column by name', () => {
    const d = parseCsv('a,b,label\n1,2,0\n3,4,2\n');
    expect(d).toMatchObject({ count: 2, features: 2, shape: [2], classes: 3, columns: ['a', 'b'] });
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4]);
    expect(Array.from(d.y)).toEqual([0, 2]);
  });

  it('takes headerless rows, first/last/index label columns, string labels and other delimiters', () => {
    expect(Array.from(parseCsv('5,0.5,1.5\n3,2.5,3.5\n', { label: 'first' }).y)).toEqual([5, 3]);
    expect(Array.from(parseCsv('5,0.5,1\n3,2.5,0\n').y)).toEqual([1, 0]);
    expect(Array.from(parseCsv('5,7,1\n3,8,0\n', { label: 1 }).x)).toEqual([5, 1, 3, 0]);
    const iris = parseCsv('sl;sw;species\n5.1;3.5;setosa\n7.0;3.2;versicolor\n6.3;3.3;setosa\n', { label: 'species' });
    expect(iris.labelNames).toEqual(['setosa', 'versicolor']);
    expect(Array.from(iris.y)).toEqual([0, 1, 0]);
    expect(parseCsv('x\ty\n1\t0\n').count).toBe(1);
  });

  it('treats a first row of numbers with a string label as data', () => {
    const d = parseCsv('1,2,cat\n3,4,dog\n');
    expect(d.count).toBe(2);
    expect(d.labelNames).toEqual(['cat', 'dog']);
  });

  it('rejects ragged rows, non-numbers and unknown label columns with line and column', () => {
    expect(() => parseCsv('a,b,y\n1,2,0\n1,2\n', {}, 'f.csv')).toThrow(/f.csv: line 3 has 2 columns, expected 3/);
    expect(() => parseCsv('a,b,y\n1,x,0\n')).toThrow(/line 2, column 2 \(b\): 'x' is not a finite number/);
    expect(() => parseCsv('a,b,y\n1,2,0\n', { label: 'z' })).toThrow(/no column named 'z'/);
    expect(() => parseCsv('')).toThrow(/no rows/);
  });

  it('loads gzipped files', () => {
    writeFileSync(join(dir, 'd.csv.gz'), gzipSync('f1,f2,class\n0,1,1\n1,0,0\n'));
    expect(loadCsv(join(dir, 'd.csv.gz')).count).toBe(2);
  });
});

describe('normalisation, split, one-hot', () => {
  it('scales and standardises with stored statistics', () => {
    const x = scaleToUnit(new Float32Array([0, 255, 51, 102]), 255);
    expect(Array.from(x)).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
    const s = fitStandardizer(new Float32Array([1, 2, 3, 4]), 2);
    expect(s.mean[0]).toBeCloseTo(2.5, 12);
    const per = fitStandardizer(new Float32Array([1, 10, 3, 10]), 2, { perFeature: true });
    expect(per).toEqual({ mean: [2, 10], std: [1, 1] });
    expect(Array.from(standardize(new Float32Array([1, 10, 3, 11]), per))).toEqual([-1, 0, 1, 1]);
  });

  it('splits reproducibly by seed, without losing or repeating rows', () => {
    const n = 50, data = { x: Float32Array.from({ length: n }, (_, i) => i), y: Int32Array.from({ length: n }, (_, i) => i % 3), count: n, features: 1, shape: [1], classes: 3 };
    const a = trainValidationSplit(data, 0.2, 7), b = trainValidationSplit(data, 0.2, 7), c = trainValidationSplit(data, 0.2, 8);
    expect(a.validation.count).toBe(10);
    expect(Array.from(a.validation.x)).toEqual(Array.from(b.validation.x));
    expect(Array.from(a.validation.x)).not.toEqual(Array.from(c.validation.x));
    expect([...a.train.x, ...a.validation.x].sort((p, q) => p - q)).toEqual(Array.from(data.x));
    a.train.x.forEach((v, i) => expect(a.train.y[i]).toBe(v % 3));
  });

  it('one-hot encodes and counts a confusion matrix', () => {
    expect(Array.from(oneHot(new Int32Array([2, 0]), 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot(new Int32Array([3]), 3)).toThrow(/y\[0\]/);
    const m = confusionMatrix(new Float32Array([0.1, 0.9, 0.8, 0.2, 0.3, 0.7]), new Int32Array([1, 1, 1]), 2);
    expect(Array.from(m)).toEqual([0, 0, 1, 2]);
  });
});
