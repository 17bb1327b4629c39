#!/usr/bin/env bash
# Builds the relay's native socket loop (firmware-sim/relay/native/udp-batch.c, an N-API addon)
# into build/relay/udp-batch.node with gcc against Node's own headers (no node-gyp needed).
# Without gcc or the headers the build is skipped (exit 0): firmware-sim/relay/udp-native.ts then
# finds no addon and the relay uses Node's dgram; under CI a test fails on the missing addon instead.
set -euo pipefail
cd "$(dirname "$0")/.."
src=firmware-sim/relay/native/udp-batch.c
out=build/relay/udp-batch.node
inc="$(dirname "$(readlink -f "$(command -v node)")")/../include/node"
if ! command -v gcc >/dev/null 2>&1 || [[ ! -f "$inc/node_api.h" ]]; then
  echo "build-native: gcc or Node's headers ($inc/node_api.h) not found; the relay uses Node's dgram" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
gcc -shared -fPIC -O2 -Wall -Wextra -Wno-unused-parameter -DNAPI_VERSION=8 -I"$inc" -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
echo "build-native: $out ($(stat -c %s "$out") bytes)"
