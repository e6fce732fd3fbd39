/** Helpers for the reliability tests: the code and call an error must carry, and bitwise weight snapshots. */
import { expect } from 'vitest';
import { ERROR_CODES, type Sequential } from '../../src/index.js';

/** Runs `fn`, expects it to throw an error with `code` (one of ERROR_CODES) whose message contains `mentions`. */
export function expectCode(fn: () => unknown, code: string, mentions?: string | RegExp): Error & { code: string } {
  let thrown: unknown = null;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}, nothing was thrown`).toBeInstanceOf(Error);
  const e = thrown as Error & { code: string };
  expect(ERROR_CODES as readonly string[], `uncoded error: ${e.message}`).toContain(e.code);
  expect(e.code, e.message).toBe(code);
  if (mentions !== undefined) expect(e.message).toMatch(mentions);
  return e;
}

/** The same for a promise. */
export async function expectCodeAsync(p: Promise<unknown>, code: string, mentions?: string | RegExp): Promise<Error & { code: string }> {
  let thrown: unknown = null;
  try {
    await p;
  } catch (error) {
    thrown = error;
  }
  return expectCode(() => {
    if (thrown) throw thrown;
  }, code, mentions);
}

/** Every state-dict value of a model as raw bytes, for bitwise comparison. */
export function weightBytes(model: Sequential): string {
  return Object.entries(model.stateDict())
    .map(([k, e]) => `${k}:${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('base64')}`)
    .join('|');
}
