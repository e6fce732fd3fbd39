#!/usr/bin/env bash
# `npm run test:sanitize`: builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-sanitize/ (not build/: `node-gyp rebuild` wipes that) and runs the shared kernel tests and the native
# tests (boundary fuzz, every ISA, threads, worker_threads) against it. Node itself is not instrumented, so the
# ASan runtime is preloaded; leak detection is off (V8 and Node keep allocations until exit by design).
# Same sources and per-ISA flags as binding.gyp; -O1 -g keeps the reports readable. Needs gcc or clang with
# libasan/libubsan (Debian: g++ ships them). Env: CXX (default g++), JOBS (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build-sanitize
CXX=${CXX:-g++}
JOBS=${JOBS:-$(nproc)}

node_include=""
for dir in "${npm_config_nodedir:-}/include/node" "$(dirname "$(dirname "$(command -v node)")")/include/node" \
           "$HOME/.cache/node-gyp/$(node -p process.versions.node)/include/node"; do
  if [ -f "$dir/node_api.h" ]; then node_include=$dir; break; fi
done
[ -n "$node_include" ] || { echo "sanitize: cannot find node_api.h (run npx node-gyp install)" >&2; exit 1; }
addon_include=$(node -p "require('node-addon-api').include_dir")

common=(-std=c++17 -O1 -g -fPIC -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
        -fno-math-errno -fno-trapping-math -ffp-contract=fast -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS
        -DNODE_ADDON_API_DISABLE_DEPRECATED -I"$node_include" -I"$addon_include")
isa_sources=(native/isa/table.cc native/act/act.cc native/act/smooth.cc native/optim/optim.cc native/gemm/bias.cc native/gemm/pack.cc native/norm/norm.cc native/conv/dot.cc)

rm -rf "$OUT" && mkdir -p "$OUT"
jobs_file="$OUT/jobs"
: > "$jobs_file"
add() { # add <object> <flags...> -- <source>
  local obj=$1; shift
  printf '%q ' "$CXX" "${common[@]}" "$@" -c -o "$obj" >> "$jobs_file"; echo >> "$jobs_file"
}
for src in native/addon.cc native/cpu.cc native/pool.cc native/kernels.cc native/gemm/gemm.cc native/loss/loss.cc native/norm/batch-norm.cc native/conv/conv.cc native/conv/pooling.cc native/conv/winograd.cc; do
  add "$OUT/base-$(basename "$src" .cc).o" "$src"
done
for src in "${isa_sources[@]}" native/gemm/ukernel-4x8-scalar.cc; do
  add "$OUT/scalar-$(basename "$src" .cc).o" -DDESCENT_ISA_SCALAR "$src"
done
if [ "$(uname -m)" = x86_64 ]; then
  for src in "${isa_sources[@]}" native/gemm/ukernel-6x16-avx2-fma.cc; do
    add "$OUT/avx2-$(basename "$src" .cc).o" -DDESCENT_ISA_AVX2_FMA -mavx2 -mfma "$src"
  done
  for src in "${isa_sources[@]}" native/gemm/ukernel-8x32-avx512f.cc; do
    add "$OUT/avx512-$(basename "$src" .cc).o" -DDESCENT_ISA_AVX512F -mavx512f -mavx2 -mfma -mprefer-vector-width=512 "$src"
  done
fi
start=$(date +%s)
xargs -P "$JOBS" -I{} sh -c '{}' < "$jobs_file"
"$CXX" -shared -fsanitize=address,undefined -o "$OUT/descent.node" "$OUT"/*.o -lpthread
echo "sanitize: built $OUT/descent.node in $(( $(date +%s) - start )) s"

runtime="$("$CXX" -print-file-name=libasan.so) $("$CXX" -print-file-name=libubsan.so)"
LD_PRELOAD="$runtime" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_odr_violation=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
DESCENT_NATIVE_PATH="$PWD/$OUT/descent.node" \
DESCENT_REQUIRE_BACKENDS=native \
DESCENT_BACKEND=native \
  npx vitest run --config test/vitest.config.ts test/kernels test/doors.test.ts test/native/isa-threads.test.ts test/native/conv-threads.test.ts "$@"
