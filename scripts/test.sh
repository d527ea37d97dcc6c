#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cd build
ctest --output-on-failure -j "${NASCTL_TEST_JOBS:-2}" --timeout 900 "$@"
