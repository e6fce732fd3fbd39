/**
 * Checks an `npm pack` tarball's contents: what a consumer needs is in it (entry points, types, CLI, wasm,
 * prebuild, native sources for a compile, install script, LICENSE), what only contributors need is not (tests,
 * benchmarks, build output, node_modules…), and every source map resolves inside the tarball.
 * Usage: node test/native/tarball.mjs descent-nn-0.1.0.tgz   (run by test/native/pack.sh)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';

const tarball = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'descent-tarball-'));
execFileSync('tar', ['-xzf', tarball, '-C', dir]);
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const read = (file) => readFileSync(join(dir, 'package', file), 'utf8');
const files = new Set(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')));
const problems = [];

const manifest = JSON.parse(read('package.json'));
const entryPoints = [manifest.main, manifest.types, ...Object.values(manifest.bin), ...Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))];
const required = [
  'package.json', 'README.md', 'LICENSE', 'binding.gyp', 'scripts/install.mjs', 'native/addon.cc', 'native/kernels.h',
  'dist/wasm/descent.wasm', 'dist/wasm/descent-relaxed.wasm', 'dist/wasm/descent-threads.wasm', 'dist/wasm/descent-relaxed-threads.wasm',
  'src/data/digits.csv.gz', 'src/index.ts',
  // What `npx descent lab serve` serves.
  ...['index.html', 'lab.css', 'main.js', 'worker.js', 'descent.wasm', 'descent-relaxed.wasm', 'descent-threads.wasm', 'descent-relaxed-threads.wasm'].map((f) => `dist/lab-web/${f}`),
  ...entryPoints.map((p) => posix.normalize(p)),
];
for (const file of required) if (!files.has(file)) problems.push(`missing ${file}`);
if (![...files].some((f) => /^prebuilds\/[^/]+\/[^/]+\.node$/.test(f))) problems.push('missing prebuilds/<platform>-<arch>/*.node');

const forbidden = [/^test\//, /^bench\//, /^dist\/bench\//, /^dist\/test\//, /^build\//, /node_modules\//, /^assembly\//, /^\.ci\//, /^\.github\//, /\.tgz$/,
  /^native-install\.json$/, /^package-lock\.json$/, /^tsconfig\.json$/, /\.test\.ts$/, /^scripts\/prepack\.mjs$/, /^dist\/wasm\/.*debug/, /^prebuilds\/.*\.(o|a|obj|lib)$/];
for (const file of files) if (forbidden.some((re) => re.test(file))) problems.push(`ships ${file}`);

// Source maps: each map's sources are in the tarball, each sourceMappingURL comment names a shipped map.
const maps = [...files].filter((f) => f.endsWith('.map'));
for (const map of maps) {
  const { sources } = JSON.parse(read(map));
  for (const source of sources) {
    const target = posix.normalize(posix.join(posix.dirname(map), source));
    if (!files.has(target)) problems.push(`${map} points at ${target}, which is not in the tarball`);
  }
}
for (const js of [...files].filter((f) => f.endsWith('.js'))) {
  const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(read(js))?.[1];
  if (url && !files.has(posix.normalize(posix.join(posix.dirname(js), url)))) problems.push(`${js} names the source map ${url}, which is not in the tarball`);
}

if (problems.length) {
  console.error(`tarball: ${problems.length} problem(s) in ${tarball}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`tarball: ${files.size} files, ${maps.length} source maps resolve, nothing from tests/bench/build/node_modules`);
