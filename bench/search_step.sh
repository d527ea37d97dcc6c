#!/usr/bin/env bash
# Search-step throughput, side by side in one run (docs/benchmarks.md, "Search"):
#   - nasctl's supernet step (C++) vs the same step in Python (bench/search_step_reference.py,
#     Debian's python3-torch: the same LibTorch underneath), on the same sampled architectures;
#   - nasctl's search step vs the training step of the sampled child network alone (GraphNet);
#   - peak memory of the supernet search step vs the largest sampled child's training step.
# Each timing is a median over architectures and repetitions; the whole comparison is repeated
# RUNS times, alternating the implementations, and the medians of the runs are reported.
#
#   bench/search_step.sh [BUILD_DIR] [SPACE] [BATCH] [THREADS] [RUNS] [VAL_BATCH]
# VAL_BATCH is the batch Q is measured on (default BATCH; the search's val_batch_size).
set -euo pipefail
build=${1:-build}
space=${2:-tiny}
batch=${3:-64}
threads=${4:-2}
runs=${5:-3}
val_batch=${6:-$batch}
here=$(cd "$(dirname "$0")" && pwd)
eval_bin="$build/bench/search_step_eval"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for r in $(seq "$runs"); do
  "$eval_bin" --space "$space" --batch "$batch" --val-batch "$val_batch" --threads "$threads" --archs 8 --reps 5 --spec "$tmp/spec.json" --json \
    > "$tmp/cpp_$r.json"
  OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/search_step_reference.py" "$tmp/spec.json" > "$tmp/py_$r.json"
  OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/search_step_reference.py" "$tmp/spec.json" --channels-last \
    > "$tmp/pycl_$r.json"
done
"$eval_bin" --space "$space" --batch "$batch" --val-batch "$val_batch" --threads "$threads" --archs 8 --memory supernet --steps 10 > "$tmp/mem_super.json"
"$eval_bin" --space "$space" --batch "$batch" --threads "$threads" --archs 8 --memory child --steps 10 > "$tmp/mem_child.json"

/usr/bin/python3 - "$tmp" "$runs" "$space" "$batch" "$threads" "$val_batch" <<'EOF'
import json, sys, platform, os
tmp, runs, space, batch, threads, val_batch = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
load = lambda p: json.load(open(p))
cpp = [load(f"{tmp}/cpp_{r}.json") for r in range(1, runs + 1)]
py = [load(f"{tmp}/py_{r}.json") for r in range(1, runs + 1)]
pycl = [load(f"{tmp}/pycl_{r}.json") for r in range(1, runs + 1)]
med = lambda v: sorted(v)[len(v) // 2]
c_train = med([c["supernet_train_step_ms"] for c in cpp]); p_train = med([p["supernet_train_step_ms"] for p in py])
c_search = med([c["search_step_ms"] for c in cpp]); p_search = med([p["search_step_ms"] for p in py])
l_train = med([p["supernet_train_step_ms"] for p in pycl]); l_search = med([p["search_step_ms"] for p in pycl])
child = med([c["child_train_step_ms"] for c in cpp])
ms, mc = load(f"{tmp}/mem_super.json"), load(f"{tmp}/mem_child.json")
print(f"space {space}, batch {batch}, Q batch {val_batch}, {threads} threads, {runs} runs; {platform.processor() or platform.machine()}, "
      f"{os.cpu_count()} CPUs, torch {py[0]['torch']}")
print(f"| step | nasctl (C++) ms | Python reference ms | speed-up | Python, channels-last ms | speed-up |")
print(f"|---|---:|---:|---:|---:|---:|")
print(f"| supernet training step | {c_train:.1f} | {p_train:.1f} | {p_train / c_train:.2f}x | {l_train:.1f} | {l_train / c_train:.2f}x |")
print(f"| search step (training + Q) | {c_search:.1f} | {p_search:.1f} | {p_search / c_search:.2f}x | {l_search:.1f} | {l_search / c_search:.2f}x |")
print()
print(f"| | ms | ratio |")
print(f"|---|---:|---:|")
print(f"| nasctl search step | {c_search:.1f} | {c_search / child:.2f}x |")
print(f"| child network training step alone (GraphNet, channels-last as the trainer runs it) | {child:.1f} | 1.00x |")
print()
ds = ms["peak_rss_kib"] - ms["peak_rss_kib_before"]; dc = mc["peak_rss_kib"] - mc["peak_rss_kib_before"]
print(f"memory (peak RSS growth during 10 steps of the largest sampled architecture, {ms['macs'] / 1e6:.1f} M MACs): "
      f"supernet search step {ds / 1024:.1f} MiB, child training step {dc / 1024:.1f} MiB, ratio {ds / dc:.2f}")
EOF
