#!/usr/bin/env bash
# Builds the per-channel DSP kernel (src/dsp/wasm/channel-kernel.c) and the verifier's attacker
# receiver (src/dsp/wasm/attacker-kernel.c, which shares its allocator) into one module,
# build/dsp/channel-kernel.wasm, with clang's wasm32 target and lld. No libc: the kernel needs none.
# Without clang the build is skipped (exit 0): src/dsp/wasm/kernel.ts then finds no kernel and the
# DSP classes run their JS implementation; under CI a test fails on the missing kernel instead.
#  -msimd128          f64x2 for two Goertzel chains per register (lanes round like scalar f64)
#  -ffp-contract=off  no fused multiply-add: the kernel must round exactly like the JS reference
#  -mbulk-memory      memcpy/memset as memory.copy/memory.fill (there is no libc to call)
set -euo pipefail
cd "$(dirname "$0")/.."
src="src/dsp/wasm/channel-kernel.c src/dsp/wasm/attacker-kernel.c"
out=build/dsp/channel-kernel.wasm
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
  echo "build-wasm: clang or wasm-ld (lld) not found; the DSP runs its JS implementation" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
clang --target=wasm32 -O3 -msimd128 -mbulk-memory -ffp-contract=off -fno-builtin-atan2 \
  -nostdlib -Wall -Wextra -Wno-unused-parameter \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,-z,stack-size=16384 \
  -o "$out.tmp" $src
mv "$out.tmp" "$out"
echo "build-wasm: $out ($(stat -c %s "$out") bytes)"
