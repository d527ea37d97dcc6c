#!/usr/bin/env bash
# The main job on the embedded default: set up, search the tiny space on Fashion-MNIST against a
# latency target on the Coral USB Accelerator, retrain the found network briefly, evaluate it on
# the test set, and export it to a full-integer TFLite file for the Edge TPU compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
nasctl=build/nasctl
run=runs/demo-$(date +%Y%m%d-%H%M%S)

echo "== nasctl search (embedded default: tiny space, Fashion-MNIST, coral-usb3)"
$nasctl search --out "$run/search"

echo
echo "== nasctl train: retrain the found architecture briefly"
$nasctl train --arch "$run/search/arch.json" --data fashion-mnist --out "$run/train" --epochs 2

echo
echo "== nasctl eval: test accuracy (Fashion-MNIST test set)"
$nasctl eval --checkpoint "$run/train/checkpoints/last.ckpt" --data fashion-mnist

echo
echo "== nasctl export: full-integer int8 TFLite for the Edge TPU"
$nasctl export --checkpoint "$run/train/checkpoints/last.ckpt" --arch "$run/search/arch.json" \
  --out "$run/model.tflite" --quantize int8 --calibration fashion-mnist
echo
echo "Everything is in $run/"
