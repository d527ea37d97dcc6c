#!/usr/bin/env bash
# Searched against hand-designed (docs/results.md, "Searched family against the networks Edge TPU
# users deploy"): accuracy against predicted Edge TPU latency on Fashion-MNIST at 32x32 (coral-usb3).
#
#   bench/pareto.sh BUILD_DIR OUT_DIR "TRAIN_SEEDS" [EPOCHS]
#   bench/pareto.sh build runs/pareto "0 1 2" 3
#
# 1. Baselines from the zoo, built for the data (1 channel, 10 classes, 32x32): MobileNetV2 at
#    widths 0.35, 0.5, 0.75 and 1.0, MobileNet-EdgeTPU, EfficientNet-EdgeTPU-S, MnasNet-A1,
#    MobileNet v1 and ProxylessNAS-Mobile; their predicted latencies are in baselines.tsv.
# 2. One family search of the edgetpu_small space whose targets are the predicted latencies of
#    MobileNetV2 0.5 and 1.0, MnasNet-A1 and EfficientNet-EdgeTPU-S (SEARCH_STEPS, default 2000;
#    SEARCH_SEED, default 0; SEARCH_FLAGS adds flags).
# 3. RANDOM_COUNT (default 16) random architectures of the space, spread over the baselines'
#    latency range: 3000 uniform samples, the range cut into RANDOM_COUNT equal bins, the first
#    Edge TPU-only sample of each bin (RANDOM_SEED, default 0).
# 4. Every network retrained with the same recipe (EPOCHS, default 3; batch 64; the trainer's
#    defaults otherwise) once per training seed, the seeds in the outer loop so that a partial run
#    already compares every network; test top-1 is the last epoch's val_top1 on t10k.
# 5. The searched and random architectures scored with the search's shared weights (`nasctl search
#    score`, the whole validation split) for the supernet's rank correlation with retraining.
# 6. summary.md (table, Pareto comparison, rank correlation) and pareto.svg, from what has finished.
# Every finished step is reused (a `done` file, or its output) and an interrupted search or
# retraining continues from its checkpoint, so the script can be stopped and resumed, across
# sessions too. SKIP_TRAINING=1 only (re)writes the summary.
set -euo pipefail
build=$1
out=$2
train_seeds=$3
epochs=${4:-3}
nasctl="$build/nasctl"
here=$(cd "$(dirname "$0")" && pwd)
space=edgetpu_small
hardware=coral-usb3
size=32
mkdir -p "$out"

# name model width
baselines=(
  "mobilenet_v2_0.35 mobilenet_v2 0.35"
  "mobilenet_v2_0.5 mobilenet_v2 0.5"
  "mobilenet_v2_0.75 mobilenet_v2 0.75"
  "mobilenet_v2_1.0 mobilenet_v2 1.0"
  "mobilenet_v1_1.0 mobilenet_v1 1.0"
  "mobilenet_edgetpu mobilenet_edgetpu 1.0"
  "proxylessnas_mobile proxylessnas_mobile 1.0"
  "mnasnet_a1 mnasnet_a1 1.0"
  "efficientnet_edgetpu_s efficientnet_edgetpu_s 1.0"
)
target_names="mobilenet_v2_0.5 mobilenet_v2_1.0 mnasnet_a1 efficientnet_edgetpu_s"

# 1. Baseline latencies.
if [[ ! -f "$out/baselines.tsv" ]]; then
  for b in "${baselines[@]}"; do
    read -r name model width <<< "$b"
    ms=$("$nasctl" latency --model "$model" --width "$width" --input-size $size --classes 10 --channels 1 \
           --hardware $hardware --json | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["latency_ms"])')
    printf '%s\t%s\t%s\t%s\n' "$name" "$model" "$width" "$ms"
  done > "$out/baselines.tsv.tmp"
  mv "$out/baselines.tsv.tmp" "$out/baselines.tsv"
fi
targets=$(/usr/bin/python3 - "$out/baselines.tsv" $target_names <<'PY'
import sys
rows = {l.split("\t")[0]: float(l.split("\t")[3]) for l in open(sys.argv[1]) if l.strip()}
print(",".join(f"{rows[n]:.3f}" for n in sys.argv[2:]))
PY
)

# 2. The family search.
search="$out/search"
if [[ ! -f "$search/family.json" ]]; then
  if [[ -f "$search/checkpoints/last.ckpt" ]]; then  # an interrupted search continues where it stopped
    "$nasctl" --log-level warn search --out "$search" --resume >> "$search.log" 2>&1 \
      || { echo "resuming the family search failed, see $search.log"; exit 1; }
  else
    rm -rf "$search"
    "$nasctl" --seed "${SEARCH_SEED:-0}" --log-level warn search --space $space --hardware $hardware \
      --target-ms "$targets" --steps "${SEARCH_STEPS:-2000}" --out "$search" ${SEARCH_FLAGS:-} > "$search.log" 2>&1 \
      || { echo "the family search failed, see $search.log"; exit 1; }
  fi
fi

# 3. Random architectures spread over the baselines' latency range.
random="$out/random"
mkdir -p "$random"
if [[ ! -f "$random/chosen.tsv" ]]; then
  "$nasctl" --seed "${RANDOM_SEED:-0}" space --space $space --sample 3000 > "$random/samples.jsonl"
  "$nasctl" latency --batch "$random/samples.jsonl" --hardware $hardware > "$random/latency.jsonl"
  /usr/bin/python3 - "$random" "$out/baselines.tsv" "${RANDOM_COUNT:-16}" <<'PY'
import json, sys
d, baselines, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
ms = [float(l.split("\t")[3]) for l in open(baselines) if l.strip()]
lo, hi = min(ms), max(ms)
samples = [l for l in open(f"{d}/samples.jsonl") if l.strip()]
lat = [json.loads(l) for l in open(f"{d}/latency.jsonl") if l.strip()]
chosen = []
for b in range(count):
    a, z = lo + (hi - lo) * b / count, lo + (hi - lo) * (b + 1) / count
    hit = next((i for i, l in enumerate(lat) if l["on_edgetpu"] and a <= l["latency_ms"] < z), None)
    if hit is None:
        sys.exit(f"no random architecture between {a:.3f} and {z:.3f} ms among {len(lat)}")
    chosen.append(hit)
for k, i in enumerate(chosen):
    open(f"{d}/arch{k}.json", "w").write(samples[i])
open(f"{d}/chosen.tsv", "w").write("".join(f"arch{k}\t{lat[i]['latency_ms']}\n" for k, i in enumerate(chosen)))
PY
fi

# 4. Retraining, the training seeds outermost.
retrain() {  # retrain RUN_DIR SEED network flags...
  local run=$1 seed=$2
  shift 2
  [[ -f "$run/done" ]] && return
  if [[ -f "$run/config.json" ]]; then  # an interrupted retraining continues from its last checkpoint
    "$nasctl" --log-level warn train --out "$run" --resume >> "$run.log" 2>&1 \
      || { echo "resuming $run failed, see $run.log"; exit 1; }
  else
    rm -rf "$run"
    "$nasctl" --seed "$seed" --log-level warn train "$@" --data fashion-mnist --epochs "$epochs" --batch-size 64 \
      --out "$run" > "$run.log" 2>&1 || { echo "training $run failed, see $run.log"; exit 1; }
  fi
  touch "$run/done"
}
if [[ "${SKIP_TRAINING:-0}" != 1 ]]; then
  for seed in $train_seeds; do
    for f in "$search"/arch-*.json; do
      retrain "$out/train/searched_$(basename "$f" .json)_s$seed" "$seed" --arch "$f"
    done
    for b in "${baselines[@]}"; do
      read -r name model width <<< "$b"
      retrain "$out/train/${name}_s$seed" "$seed" --model "$model" --width "$width" --input-size $size
    done
    for f in "$random"/arch*.json; do
      retrain "$out/train/random_$(basename "$f" .json)_s$seed" "$seed" --arch "$f"
    done
  done
fi

# 5. Supernet scores of every architecture of the space.
if [[ ! -f "$out/supernet_scores.json" ]]; then
  "$nasctl" --log-level warn search score "$search" "$search"/arch-*.json "$random"/arch*.json --json \
    > "$out/supernet_scores.json.tmp"
  mv "$out/supernet_scores.json.tmp" "$out/supernet_scores.json"
fi

# 6. Summary and plot.
/usr/bin/python3 "$here/pareto_summary.py" "$out"
