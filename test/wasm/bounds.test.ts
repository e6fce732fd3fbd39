/**
 * The wasm adapter is a public door into linear memory: every length is checked against the sizes given before
 * the kernel runs, so no call can read or write outside its buffers, and bad sizes or flags are RangeErrors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, setBackend, jsBackend, type Backend } from '../../src/index.js';

let wasm: Backend;
beforeAll(async () => {
  wasm = await loadBackend('wasm');
  setBackend(jsBackend);
});

/** The call throws a RangeError with this exact message and code ERR_SHAPE. */
function expectRange(fn: () => unknown, message: string): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RangeError);
  expect(caught).toMatchObject({ message, code: 'ERR_SHAPE' });
}

describe('wasm adapter bounds checks', () => {
  it('names the product and the short argument', () => {
    const A = wasm.alloc(1000), B = wasm.alloc(32 * 32), C = wasm.alloc(32 * 32);
    expectRange(() => wasm.k.gemm_f32(0, 0, 32, 32, 32, 1, A, B, 0, C), 'gemm_f32: m·k = 1024 exceeds a.length 1000');
    expectRange(() => wasm.k.gemm_f32(0, 0, 32, 40, 32, 1, B, B, 0, C), 'gemm_f32: k·n = 1280 exceeds b.length 1024');
    expectRange(() => wasm.k.gemm_f32(0, 0, 33, 32, 1, 1, B, B, 0, C), 'gemm_f32: m·n = 1056 exceeds c.length 1024');
    expectRange(() => wasm.k.relu_fwd_f32(1001, A, C), 'relu_fwd_f32: n = 1001 exceeds x.length 1000');
    expectRange(() => wasm.k.bias_add_f32(4, 300, A, C), 'bias_add_f32: m·n = 1200 exceeds c.length 1024');
    expectRange(() => wasm.k.col_sum_f32(1, 1001, 0, B, A), 'col_sum_f32: n = 1001 exceeds out.length 1000');
    const labels = wasm.allocI32(3), loss = wasm.alloc(4);
    expectRange(() => wasm.k.softmax_xent_f32(4, 10, 1, A, labels, loss, wasm.alloc(0)), 'softmax_xent_f32: m = 4 exceeds labels.length 3');
    expectRange(() => wasm.k.softmax_xent_f32(3, 10, 1, A, labels, loss, wasm.alloc(29)), 'softmax_xent_f32: m·n = 30 exceeds grad.length 29');
    expectRange(() => wasm.k.adam_step_f32(1000, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.1, 0.001, A, A, A, A, wasm.alloc(10)), 'adam_step_f32: n = 1000 exceeds vmax.length 10');
    expectRange(() => wasm.k.rmsprop_step_f32(1000, 1e-2, 0.99, 1e-8, 0, 0.9, 0, A, A, A, wasm.alloc(0), wasm.alloc(0)), 'rmsprop_step_f32: n (mu > 0) = 1000 exceeds buf.length 0');
    for (const b of [A, B, C, labels, loss]) wasm.free(b);
  });

  it('rejects sizes that are not non-negative int32 and flags other than 0 and 1', () => {
    const A = wasm.alloc(16);
    expect(() => wasm.k.relu_fwd_f32(-1, A, A)).toThrow(RangeError);
    expect(() => wasm.k.relu_fwd_f32(2.5, A, A)).toThrow(RangeError);
    expect(() => wasm.k.relu_fwd_f32(2 ** 32, A, A)).toThrow(RangeError);
    expect(() => wasm.k.gemm_f32(2, 0, 1, 1, 1, 1, A, A, 0, A)).toThrow(/ta to be 0 or 1/);
    expect(() => wasm.k.gemm_f32(2, 0, 1, 1, 1, 1, A, A, 0, A)).toThrow(expect.objectContaining({ code: 'ERR_OPTION' }));
    expect(() => wasm.alloc(-4)).toThrow(RangeError);
    expect(() => wasm.alloc(2 ** 31)).toThrow(RangeError);
    expect(() => wasm.alloc(2 ** 30)).toThrow(/largest block/);
    wasm.free(A);
  });

  it('leaves C untouched by a rejected call', () => {
    const A = wasm.alloc(10), C = wasm.alloc(4);
    C.data.set([1, 2, 3, 4]);
    expect(() => wasm.k.gemm_f32(0, 0, 2, 2, 6, 1, A, A, 0, C)).toThrow(RangeError);
    expect(Array.from(C.data)).toEqual([1, 2, 3, 4]);
  });
});
