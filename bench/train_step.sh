#!/usr/bin/env bash
# Training-step throughput, side by side in one run (docs/benchmarks.md, "Training step"):
# nasctl (GraphNet + train::Optimizer, bench/train_step_eval.cpp) against torchvision's network with
# torch.optim.SGD (bench/train_step_reference.py, Debian's python3-torch: the same LibTorch).
# Each implementation runs in both memory layouts (NCHW, channels-last); the four programs are run
# RUNS times, interleaved, and the median over runs of each program's median step time is reported.
#
#   bench/train_step.sh [BUILD_DIR] [RUNS] [MODEL] [INPUT] [BATCH] [THREADS]
set -euo pipefail
build=${1:-build}
runs=${2:-5}
model=${3:-mobilenet_v2}
input=${4:-32}
batch=${5:-64}
threads=${6:-2}
here=$(cd "$(dirname "$0")" && pwd)
eval_bin="$build/bench/train_step_eval"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--model "$model" --input-size "$input" --batch "$batch" --threads "$threads" --steps 15 --warmup 3)

for r in $(seq "$runs"); do
  for layout in 0 1; do
    OMP_NUM_THREADS=$threads "$eval_bin" "${common[@]}" --channels-last $layout --json >> "$tmp/cpp_$layout.jsonl"
    OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/train_step_reference.py" "${common[@]}" --channels-last $layout \
      >> "$tmp/py_$layout.jsonl"
  done
done

/usr/bin/python3 - "$tmp" "$runs" <<'EOF'
import json, os, platform, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
rows = {}
for name in ["cpp_0", "cpp_1", "py_0", "py_1"]:
    lines = [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]
    ms = sorted(l["step_ms"] for l in lines)
    rows[name] = (lines[0], ms[len(ms) // 2], ms[0], ms[-1])
ref = rows["py_0"][1]
first = rows["py_0"][0]
cpu = platform.processor() or platform.machine()
print(f"{first['model']}, input {first['input_size']}x{first['input_size']}, batch {first['batch']}, "
      f"{first['threads']} threads, {runs} runs; {os.cpu_count()} CPUs ({cpu}), torch {first['torch']}, "
      f"torchvision {first['torchvision']}; load average at the end {os.getloadavg()[0]:.2f}")
print("| implementation | params | step ms (median, min-max over runs) | images/s | vs torchvision NCHW |")
print("|---|---:|---:|---:|---:|")
for name in ["py_0", "py_1", "cpp_0", "cpp_1"]:
    info, med, lo, hi = rows[name]
    print(f"| {info['implementation']} | {info['params']:,} | {med:.1f} ({lo:.1f}-{hi:.1f}) | "
          f"{1000 * info['batch'] / med:.0f} | {ref / med:.2f}x |")
EOF
