#!/usr/bin/env bash
# Proves the packaging the way a consumer meets it. Builds the linux-x64 prebuild (`npm run prebuildify`), checks
# that `npm pack` refuses to pack without it (prepack), packs the tarball from the current build, checks
# its contents (test/native/tarball.mjs), then installs it into fresh projects:
#   (a) with the prebuild, on a PATH holding only node, npm and sh: nothing compiles, the native backend trains;
#   (b) without the prebuild and without a compiler: the install succeeds, records why native is missing, and
#       loadBackend() picks wasm and trains, with that reason in availableBackends();
#   (c) without the prebuild, with the compiler: the install compiles the addon and the native backend trains.
# Usage: bash test/native/pack.sh after a build (about 60 s on 2 idle cores, two of them compiling the addon;
# installs use the npm cache: --prefer-offline)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/descent-pack.XXXXXX")
cleanup() {
  [ ! -d "$WORK/prebuilds.aside" ] || { rm -rf "$ROOT/prebuilds"; mv "$WORK/prebuilds.aside" "$ROOT/prebuilds"; }
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$ROOT"
start=$SECONDS

JOBS=max npm run --silent prebuildify >/dev/null
ls prebuilds/linux-x64/*.node >/dev/null 2>&1 || { echo "pack: prebuildify made no prebuilds/linux-x64/*.node" >&2; exit 1; }

# prepack must refuse a tarball that has no prebuild for this platform.
mv prebuilds "$WORK/prebuilds.aside"
if npm pack --pack-destination "$WORK" >"$WORK/refused.log" 2>&1; then echo "pack: npm pack succeeded without prebuilds/" >&2; exit 1; fi
grep -q "refusing to pack without a prebuilt native addon for linux-x64" "$WORK/refused.log" || { cat "$WORK/refused.log" >&2; exit 1; }
mv "$WORK/prebuilds.aside" prebuilds
echo "pack: npm pack refuses to pack without prebuilds/linux-x64 (prepack)"

# The real tarball, from the build already made (`npm ci` ran `prepare`; `npm run build` in a clone): prepack's
# check again, then pack without re-running `prepare`.
node scripts/prepack.mjs
tarball=$(npm pack --silent --ignore-scripts --pack-destination "$WORK" | tail -n 1)
echo "pack: $tarball ($(du -h "$WORK/$tarball" | cut -f1))"
node test/native/tarball.mjs "$WORK/$tarball"

# The same package without its prebuilds, as a platform we have no binary for would see it.
mkdir "$WORK/bare"
tar -xzf "$WORK/$tarball" -C "$WORK/bare"
rm -rf "$WORK/bare/package/prebuilds"
tar -czf "$WORK/bare.tgz" -C "$WORK/bare" package

# A PATH with node, npm and sh only: any attempt to compile fails with "not found".
mkdir -p "$WORK/bin"
for tool in node npm npx sh; do ln -s "$(command -v $tool)" "$WORK/bin/$tool"; done
for tool in cc c++ gcc g++ clang make python3; do
  if PATH="$WORK/bin" command -v "$tool" >/dev/null 2>&1; then echo "pack: $tool still on PATH" >&2; exit 1; fi
done

# install <project> <tarball> <PATH>: a fresh project with the tarball installed (output indented in the log).
install() {
  mkdir -p "$WORK/$1"
  (cd "$WORK/$1" && PATH="$3" npm init -y >/dev/null &&
    PATH="$3" npm install --prefer-offline --no-audit --no-fund --foreground-scripts "$2" 2>&1 | sed "s/^/  $1 npm: /")
}

# check <project> <PATH> <expected backend>: trains a small MLP on `loadBackend()`'s choice, which must be the
# expected one, and prints what availableBackends() says about native.
check() {
  cat > "$WORK/$1/train.mjs" <<'JS'
import { loadBackend, availableBackends, manualSeed, Sequential, Linear, ReLU, Adam, Trainer } from 'descent-nn';
const backend = await loadBackend();
const native = (await availableBackends()).find((b) => b.name === 'native');
console.log(`backend: ${backend.name} (${backend.detail}); native: ${native.available ? native.detail : native.reason}`);
if (backend.name !== process.argv[2]) throw new Error(`expected the ${process.argv[2]} backend, got ${backend.name}`);
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
JS
  (cd "$WORK/$1" && PATH="$2" node train.mjs "$3" | sed "s/^/  $1: /")
}

# serve_check <project> <PATH>: `descent lab serve --port 0` (the installed bin) in the project serves the lab page with the
# cross-origin isolation headers and the wasm module as application/wasm.
serve_check() {
  cat > "$WORK/$1/serve.mjs" <<'JS'
import { spawn } from 'node:child_process';
// The installed bin (what npx runs), started directly so that stopping it stops the server.
const server = spawn(process.execPath, ['node_modules/.bin/descent', 'lab', 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const timeout = setTimeout(() => { server.kill(); throw new Error('descent lab serve printed no URL within 30 s'); }, 30_000);
let out = '';
const url = await new Promise((resolve) => server.stdout.on('data', (d) => { out += d; const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out); if (m) resolve(m[0]); }));
clearTimeout(timeout);
try {
  for (const [path, type] of [['', 'text/html'], ['main.js', 'text/javascript'], ['worker.js', 'text/javascript'], ['descent.wasm', 'application/wasm']]) {
    const res = await fetch(url + path);
    if (res.status !== 200 || !res.headers.get('content-type').startsWith(type) || res.headers.get('cross-origin-embedder-policy') !== 'require-corp') {
      throw new Error(`${url}${path}: ${res.status} ${res.headers.get('content-type')} COEP ${res.headers.get('cross-origin-embedder-policy')}`);
    }
  }
  console.log(`serves the lab page at ${url}`);
} finally {
  server.kill('SIGTERM');
}
JS
  (cd "$WORK/$1" && PATH="$2" node serve.mjs | sed "s/^/  $1: /")
}

# (a) With the prebuild and no compiler: nothing compiles.
install with-prebuild "$WORK/$tarball" "$WORK/bin"
[ ! -d "$WORK/with-prebuild/node_modules/descent-nn/build" ] || { echo "pack: (a) the install compiled the addon (build/ exists)" >&2; exit 1; }
check with-prebuild "$WORK/bin" native
serve_check with-prebuild "$WORK/bin"
echo "pack: (a) with the prebuild and no compiler: installed, nothing compiled, trained on native, serves the lab page ($((SECONDS - start)) s so far)"

# (b) No prebuild, no compiler: the install succeeds, wasm is chosen, and the reason says what to do.
install no-compiler "$WORK/bare.tgz" "$WORK/bin"
record="$WORK/no-compiler/node_modules/descent-nn/native-install.json"
[ -f "$record" ] || { echo "pack: (b) the failed compile left no native-install.json" >&2; exit 1; }
out=$(check no-compiler "$WORK/bin" wasm)
echo "$out"
grep -q "no prebuilt native addon for linux-x64" <<<"$out" && grep -q "npm rebuild descent-nn" <<<"$out" && ! grep -q "npm run build:native" <<<"$out" ||
  { echo "pack: (b) native's reason does not tell the consumer what happened and what to do" >&2; exit 1; }
echo "pack: (b) without the prebuild and without a compiler: installed, trained on wasm, native's reason recorded ($((SECONDS - start)) s so far)"

# (c) No prebuild, with a compiler: the install compiles the addon.
install compiler "$WORK/bare.tgz" "$PATH"
[ -f "$WORK/compiler/node_modules/descent-nn/build/Release/descent.node" ] || { echo "pack: (c) the install did not compile the addon" >&2; exit 1; }
[ ! -f "$WORK/compiler/node_modules/descent-nn/native-install.json" ] || { echo "pack: (c) a failure was recorded" >&2; exit 1; }
check compiler "$PATH" native
echo "pack: (c) without the prebuild, with a compiler: compiled at install, trained on native ($((SECONDS - start)) s so far)"
echo "pack: OK in $((SECONDS - start)) s"
