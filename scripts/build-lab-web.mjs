// Builds the lab page (src/lab/web/) into dist/lab-web/: two esbuild bundles (the page and its worker), the HTML
// and CSS, and the four wasm modules (plain, relaxed SIMD, and their threaded builds) next to the worker, which loads them by relative URL. Needs dist/wasm/
// (npm run build:wasm). Prints each file's size and the gzipped total.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src/lab/web'), out = join(root, 'dist/lab-web');
const WASM = ['descent.wasm', 'descent-relaxed.wasm', 'descent-threads.wasm', 'descent-relaxed-threads.wasm'];
for (const wasm of WASM) {
  if (!existsSync(join(root, 'dist/wasm', wasm))) throw new Error(`dist/wasm/${wasm} is missing: run \`npm run build:wasm\` first`);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { main: join(src, 'main.ts'), worker: join(src, 'worker.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'lab.css']) copyFileSync(join(src, file), join(out, file));
for (const wasm of WASM) copyFileSync(join(root, 'dist/wasm', wasm), join(out, wasm));
let total = 0, zipped = 0;
const lines = readdirSync(out).sort().map((file) => {
  const bytes = statSync(join(out, file)).size, gz = gzipSync(readFileSync(join(out, file))).length;
  total += bytes;
  zipped += gz;
  return `  ${file.padEnd(22)} ${(bytes / 1024).toFixed(1).padStart(7)} KB  (gzip ${(gz / 1024).toFixed(1)} KB)`;
});
console.log(`dist/lab-web/: the lab page\n${lines.join('\n')}\n  total ${(total / 1024).toFixed(1)} KB, gzip ${(zipped / 1024).toFixed(1)} KB`);
