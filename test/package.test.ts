/**
 * The package as users get it (needs `npm run build`): the .d.ts types real usage, `import 'descent-nn'` resolves by
 * self-reference from the repository root, CommonJS consumers can `require()` it, and `npm start` trains.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = existsSync(`${root}/dist/src/index.js`);

describe('the built package', () => {
  it('has been built (npm run build runs before the tests)', () => {
    expect(built, 'dist/src/index.js is missing: run `npm run build` first').toBe(true);
  });

  it('types real usage through its .d.ts (compile-only)', () => {
    execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/test/types/tsconfig.json`], { cwd: root, stdio: 'pipe' });
  }, 180_000);

  it('type-checks the sources and every test file under strict settings', () => {
    execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/test/tsconfig.json`], { cwd: root, stdio: 'pipe' });
  }, 180_000); // a whole-project type-check: about 40 s on 2 idle cores, more when the machine is shared

  it('resolves `descent` by self-reference for ESM and CommonJS', () => {
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "const d = await import('descent-nn'); console.log(typeof d.Sequential, typeof d.loadBackend)"], { cwd: root }).toString();
    expect(esm.trim()).toBe('function function');
    const cjs = execFileSync(process.execPath, ['--no-warnings', '-e', "const d = require('descent-nn'); console.log(typeof d.Trainer)"], { cwd: root }).toString();
    expect(cjs.trim()).toBe('function');
  });

  it('says the same Node range in engines and the README: import needs 20.16+/22.3+, require() needs require(esm)', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { engines: { node: string } };
    // process.getBuiltinModule (every Node-only feature goes through it) arrived in 20.16.0 and 22.3.0.
    expect(pkg.engines.node).toBe('^20.16.0 || >=22.3.0');
    const readme = readFileSync(`${root}/README.md`, 'utf8');
    expect(readme).toContain('Node.js 20.16+ (20.x) or 22.3+');
    expect(readme).toContain("`require('descent-nn')` works where Node can `require()` an ES module without a flag: 20.19+ and 22.12+");
  });
});
