/** Node built-ins are reached through src/node.ts only, so every other module bundles for browsers unchanged. */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('Node built-ins', () => {
  it('are imported or fetched nowhere in src/ but src/node.ts', () => {
    const files = sources(join(root, 'src'));
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of files) {
      const name = relative(root, file);
      if (name === join('src', 'node.ts')) continue;
      // Code only: comments may name the mechanism.
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      if (/from\s+['"]node:|import\(\s*['"]node:|getBuiltinModule|require\(\s*['"]node:/.test(code)) offenders.push(name);
    }
    expect(offenders).toEqual([]);
  });
});
