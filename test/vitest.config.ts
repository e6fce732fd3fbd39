import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: new URL('..', import.meta.url).pathname,
  plugins: [
    {
      // The sources sit one level above the build (src/backends/wasm.ts vs dist/src/backends/wasm.js), so the
      // wasm module's package-relative URL (../../wasm/) points at dist/wasm/ only in the build. Tests import the
      // sources, so map the path here instead of shipping a source-tree fallback in the package.
      name: 'descent-wasm-in-dist',
      enforce: 'pre',
      transform(code, id) {
        if (!id.endsWith('/src/backends/wasm.ts')) return;
        const mapped = code.replaceAll("new URL('../../wasm/", "new URL('../../dist/wasm/");
        if (mapped === code) throw new Error("src/backends/wasm.ts no longer has new URL('../../wasm/…'): update test/vitest.config.ts");
        return mapped;
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
