#!/usr/bin/env bash
# Data loader throughput, nasctl vs torchvision, side by side: decode + augment of an ImageFolder of
# JPEGs at ImageNet-like sizes into normalised 224x224 float batches of 64, with the same number of
# workers, for the training (random-resized-crop + flip) and evaluation (resize 256 + center crop)
# transforms. Rounds alternate the two programs; each round times 3 epochs after a warm-up epoch;
# the table shows medians over all timed epochs.
#
#   bench/data_loader.sh [BUILD_DIR] [ROUNDS] [WORKERS...]     defaults: build 3 "1 2"
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-3}
shift $(( $# > 2 ? 2 : $# )) || true
workers=("$@")
[ ${#workers[@]} -eq 0 ] && workers=(1 2)
program=$build/bench/data_loader_eval
[ -x "$program" ] || { echo "build $program first: cmake --build $build --target data_loader_eval" >&2; exit 1; }

data=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$data" "$log"' EXIT
/usr/bin/python3 bench/data_make_images.py "$data" --images 500 --classes 10
echo "ImageFolder: $(find "$data" -name '*.jpg' | wc -l) JPEGs, $(du -sh "$data" | cut -f1); $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

for round in $(seq "$rounds"); do
  for w in "${workers[@]}"; do
    for mode in train eval; do
      OMP_NUM_THREADS=1 "$program" "$data" --workers "$w" --mode "$mode" >> "$log"
      OMP_NUM_THREADS=1 /usr/bin/python3 bench/data_loader_reference.py "$data" --workers "$w" --mode "$mode" >> "$log"
    done
  done
done

/usr/bin/python3 - "$log" <<'PY'
import collections, statistics, sys
rates = collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, mode, workers, _, images, seconds = line.split()
    rates[(mode, workers.split("=")[1], who)].append(int(images.split("=")[1]) / float(seconds.split("=")[1]))
print(f"{'transform':10} {'workers':>7} {'nasctl img/s':>13} {'torchvision img/s':>18} {'ratio':>6}   (medians of {len(rates[next(iter(rates))])} epochs)")
for mode in ("train", "eval"):
    for workers in sorted({k[1] for k in rates}, key=int):
        ours, ref = statistics.median(rates[(mode, workers, "nasctl")]), statistics.median(rates[(mode, workers, "torchvision")])
        print(f"{mode:10} {workers:>7} {ours:13.1f} {ref:18.1f} {ours / ref:5.2f}x")
PY
