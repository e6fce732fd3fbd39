/**
 * `npm pack` / `npm publish` guard: a tarball must carry a prebuilt native addon for at least the platform that
 * packs it (prebuilds/<platform>-<arch>/*.node, made by `npm run prebuildify` or gathered from the prebuild
 * workflow); otherwise every install of it would compile or fall back to wasm.
 */
import { existsSync, readdirSync } from 'node:fs';

const tag = `${process.platform}-${process.arch}`;
const dir = new URL(`../prebuilds/${tag}/`, import.meta.url);
const binaries = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
if (binaries.length === 0) {
  const others = existsSync(new URL('../prebuilds/', import.meta.url)) ? readdirSync(new URL('../prebuilds/', import.meta.url)) : [];
  console.error(
    `prepack: refusing to pack without a prebuilt native addon for ${tag} (prebuilds/${tag}/*.node is missing` +
      `${others.length ? `; prebuilds/ has ${others.join(', ')}` : ''}). Run \`npm run prebuildify\` first, or download the prebuild workflow's artifacts into prebuilds/.`,
  );
  process.exit(1);
}
console.log(`prepack: prebuilds for ${readdirSync(new URL('../prebuilds/', import.meta.url)).join(', ')}`);
