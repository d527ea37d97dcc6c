#!/usr/bin/env bash
# Installs what nasctl needs from Debian's packages (when missing), then configures and builds
# into build/ (Release, Ninja). Idempotent: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-pthread
  libcli11-dev libspdlog-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libturbojpeg0-dev libjpeg-dev libpng-dev zlib1g-dev libgloo-dev
  libflatbuffers-dev flatbuffers-compiler libarmnntfliteparser-dev libarmnn-cpuref-backend22
  dataset-fashion-mnist
  python3 python3-torch python3-torchvision python3-pil
  chromium  # the report test loads its page in headless Chromium
)

# Node.js runs the TFLite runtime (WebAssembly) in the export tests. A machine may already carry
# a Node.js that bundles npm (NodeSource); only install Debian's when there is none.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The project-local JavaScript tools (the TFLite runtime used by the export tests).
if [ -f tools/tflite-runtime/package.json ] && [ ! -d tools/tflite-runtime/node_modules ]; then
  (cd tools/tflite-runtime && npm ci --legacy-peer-deps --no-audit --no-fund --loglevel=error)
fi

jobs=${NASCTL_JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${NASCTL_CMAKE_ARGS:-}
cmake --build build -j "$jobs"
