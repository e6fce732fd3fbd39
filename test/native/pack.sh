#!/usr/bin/env bash
# Proves the packaging: builds the linux-x64 prebuild (`npm run prebuildify`), packs the tarball (`npm pack` runs
# `prepare`: wasm + TypeScript), installs it into a fresh temporary project with a PATH that holds only node and
# npm (no cc, c++, gcc, g++, make, python), then loads the native backend there and trains a small MLP for a few
# steps. The install must not compile anything: node-gyp-build finds prebuilds/linux-x64/descent.node.
# Usage: bash test/native/pack.sh   (about 30 s; needs the npm cache or registry access for node-gyp-build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/descent-pack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

npm run --silent prebuildify >/dev/null
[ -f prebuilds/linux-x64/descent.node ] || { echo "pack: no prebuilds/linux-x64/descent.node" >&2; exit 1; }
tarball=$(npm pack --silent --pack-destination "$WORK" | tail -n 1)
echo "pack: $tarball ($(du -h "$WORK/$tarball" | cut -f1)); contents:"
tar -tzf "$WORK/$tarball" | grep -E 'prebuilds/|binding.gyp|dist/src/index.js|\.wasm$' | sed 's/^/  /'

# A PATH with node, npm and sh only: any attempt to compile would fail with "not found".
mkdir -p "$WORK/bin" "$WORK/project"
for tool in node npm npx sh; do ln -s "$(command -v $tool)" "$WORK/bin/$tool"; done
for tool in cc c++ gcc g++ clang make python3; do
  if PATH="$WORK/bin" command -v "$tool" >/dev/null 2>&1; then echo "pack: $tool still on PATH" >&2; exit 1; fi
done

cd "$WORK/project"
PATH="$WORK/bin" npm init -y >/dev/null
PATH="$WORK/bin" npm install --prefer-offline --no-audit --no-fund --foreground-scripts "$WORK/$tarball" 2>&1 | sed 's/^/  npm: /'
[ ! -d node_modules/descent-nn/build ] || { echo "pack: install compiled the addon (build/ exists)" >&2; exit 1; }

cat > train.mjs <<'JS'
import { loadBackend, availableBackends, manualSeed, Sequential, Linear, ReLU, Adam, Trainer } from 'descent-nn';
const backend = await loadBackend('native');
console.log(`backend: ${backend.name} (${backend.detail})`);
manualSeed(1);
const model = new Sequential([new Linear(20, 32), new ReLU(), new Linear(32, 3)]);
const trainer = new Trainer(model, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), loss: 'crossEntropy' });
const batch = 64, x = new Float32Array(batch * 20), y = new Int32Array(batch);
for (let i = 0; i < batch; i++) {
  y[i] = i % 3;
  for (let j = 0; j < 20; j++) x[i * 20 + j] = Math.sin(i * 7 + j) + (j % 3 === y[i] ? 1.5 : 0);
}
const losses = [];
for (let step = 0; step < 60; step++) losses.push(trainer.step(x, y));
console.log(`loss: ${losses[0].toFixed(4)} -> ${losses.at(-1).toFixed(4)}`);
if (!(losses.at(-1) < losses[0] * 0.5)) throw new Error('training did not reduce the loss');
console.log(JSON.stringify(await availableBackends()));
JS
PATH="$WORK/bin" node train.mjs

# Without any binary for this platform, auto must fall back and say why.
rm -rf node_modules/descent-nn/prebuilds
PATH="$WORK/bin" node --input-type=module -e "
  import { loadBackend, availableBackends } from 'descent-nn';
  const b = await loadBackend();
  const native = (await availableBackends()).find((i) => i.name === 'native');
  console.log('without prebuild: auto chose ' + b.name + '; native: ' + native.reason);
  if (b.name === 'native' || native.available || !/npm run build:native/.test(native.reason)) process.exit(1);
"
echo "pack: OK (installed from the tarball without a compiler, trained on the native backend, fallback explained)"
