/**
 * The file helpers outside Node: with process.getBuiltinModule hidden (as in a browser bundle), each one throws
 * ERR_NODE_ONLY naming itself and the browser way (parseCsv, parseIdx, idxDataset, encode/decodeCheckpoint),
 * not a node:path or node:fs failure; and the browser ways it names work on bytes in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as d from '../../src/index.js';

const proc = process as { getBuiltinModule?: unknown };
const real = proc.getBuiltinModule;
afterEach(() => {
  proc.getBuiltinModule = real;
});

/** Runs `fn` as a browser would: no process.getBuiltinModule. */
function withoutNode(fn: () => unknown): unknown {
  proc.getBuiltinModule = undefined;
  try {
    fn();
  } catch (error) {
    return error;
  } finally {
    proc.getBuiltinModule = real;
  }
  return undefined;
}

describe('Node-only helpers outside Node', () => {
  d.setBackend(d.jsBackend);
  const model = new d.Sequential([new d.Linear(2, 2)]);
  const cases: [string, () => unknown, RegExp][] = [
    ['loadDigits', () => d.loadDigits(), /parseCsv\(text, \{ header: false, label: 'last' \}\)/],
    ['loadCsv', () => d.loadCsv('iris.csv'), /pass its text to parseCsv\(text, options\)/],
    ['loadIdx', () => d.loadIdx('t10k-images-idx3-ubyte.gz'), /parseIdx\(new Uint8Array/],
    ['loadIdxDataset', () => d.loadIdxDataset('a', 'b'), /parseIdx.*idxDataset\(images, labels\)/],
    ['findMnistFiles', () => d.findMnistFiles('data'), /parseIdx.*idxDataset\(images, labels\)/],
    ['loadFashionMnist', () => d.loadFashionMnist(), /parseIdx.*idxDataset\(images, labels\)/],
    ['loadMnist', () => d.loadMnist({ dir: 'data' }), /parseIdx.*idxDataset\(images, labels\)/],
    ['saveCheckpoint', () => d.saveCheckpoint('m.ckpt', { model }), /encodeCheckpoint\(createCheckpoint/],
    ['loadCheckpoint', () => d.loadCheckpoint('m.ckpt'), /decodeCheckpoint\(bytes\)/],
  ];
  for (const [name, call, browserWay] of cases) {
    it(`${name} says it is Node-only and names the browser way`, () => {
      const error = withoutNode(call) as Error & { code?: string };
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe('ERR_NODE_ONLY');
      expect(error.message).toMatch(new RegExp(`^${name} reads files, so it works only in Node\\.js \\(this is Node [\\d.]+, which lacks process\\.getBuiltinModule`));
      expect(error.message).toMatch(browserWay);
      expect(error.message).not.toMatch(/node:(path|fs|zlib)/);
    });
  }

  it('the browser ways work on bytes: parseCsv, parseIdx + idxDataset, encode/decodeCheckpoint', () => {
    const csv = withoutNode(() => expect(d.parseCsv('1,2,0\n3,4,1\n', { header: false, label: 'last' }).y).toEqual(Int32Array.of(0, 1)));
    expect(csv).toBeUndefined();
    // A 2-image 1×2 IDX file (ubyte, 3 dims) and its labels, built by hand.
    const images = Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 40);
    const labels = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 2, 1, 0);
    const idx = withoutNode(() => {
      const data = d.idxDataset(d.parseIdx(images), d.parseIdx(labels));
      expect(Array.from(data.y)).toEqual([1, 0]);
      expect(data.count).toBe(2);
    });
    expect(idx).toBeUndefined();
    const ckpt = withoutNode(() => {
      const bytes = d.encodeCheckpoint(d.createCheckpoint({ model }));
      expect(d.decodeCheckpoint(bytes).model).toEqual(d.createCheckpoint({ model }).model);
    });
    expect(ckpt).toBeUndefined();
  });
});
