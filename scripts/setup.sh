#!/usr/bin/env bash
# Sets up carnet on a fresh Debian/Ubuntu machine: the Debian packages the project needs, then npm ci.
# Used by the README's first command and by CI (.ci/run). Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, each for a reason:
#   libpcsclite-dev, pcscd, vsmartcard-vpcd  nfc-pcsc's native build; the card-desk tests on a real PC/SC stack
#   gcc-arm-none-eabi                        builds the native Ed25519 Thumb blob for Espruino boards
#   qemu-system-arm                          runs that blob on an emulated Cortex-M4 (mps2-an386) in tests and benches
#   clang, lld                               compile the same C to WebAssembly for the Node tests
#   socat                                    pty pairs for the serial end-to-end tests
#   g++, make, python3                       node-gyp builds of native npm modules (and the C sanitizer tests)
#   postgresql                               the ledger's PostgreSQL tests start a private server
#   chromium                                 renders the treasurer's HTML report in tests (playwright-core)
APT_PACKAGES="libpcsclite-dev pcscd vsmartcard-vpcd gcc-arm-none-eabi qemu-system-arm clang lld socat g++ make python3 postgresql chromium"

missing=""
for p in $APT_PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  echo "carnet: installation des paquets Debian :$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/tmp/carnet-apt.log 2>&1 || {
    tail -50 /tmp/carnet-apt.log
    echo "carnet: échec de l'installation des paquets Debian (journal : /tmp/carnet-apt.log)" >&2
    exit 1
  }
fi

echo "carnet: npm ci"
npm ci --no-audit --no-fund
