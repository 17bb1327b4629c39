#!/usr/bin/env bash
# Installs what dtmfguard and its tests need on a fresh Debian 12 machine with Node 20 (run as root):
# the Debian tools the tests use as real peers and oracles, then the npm packages from the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  socat         # pseudo-terminal pairs for the simulator's serial port
  tcpdump       # real captures of loopback RTP
  tshark        # independent RTP / telephone-event decoder (test oracle)
  sox           # independent audio converter (test oracle)
  multimon-ng   # independent DTMF decoder (test oracle)
  espeak-ng     # real speech for the talk-off test
  sip-tester    # sipp and its sample DTMF captures
  libspandsp-dev # spandsp's dtmf_rx: independent decoder and benchmark reference
  libpcap-dev   # live capture
  udev          # serial port enumeration
  iproute2      # ss: peer credentials of control-socket clients for the audit log
  prometheus    # promtool: lints our metric exposition and the example alert rules (tests)
  chromium      # renders the HTML verifier report in tests
  build-essential # C harness for the spandsp benchmark
  clang lld     # the DSP kernel: C to WebAssembly (scripts/build-wasm.sh); without it the DSP runs its JS version
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund 2>&1 | grep -v 'Unknown user config "nodedir"' || true
fi
scripts/build-wasm.sh
scripts/build-native.sh
echo "setup: ready"
