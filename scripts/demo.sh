#!/usr/bin/env bash
# The main job on the embedded default: sets up, then shows a search space and the model zoo.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
nasctl=build/nasctl
echo "== nasctl space --space tiny"
$nasctl space --space tiny
echo
echo "== nasctl models --summary mobilenet_v2"
$nasctl models --summary mobilenet_v2
