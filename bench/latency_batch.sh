#!/usr/bin/env bash
# End-to-end rate of `nasctl latency --batch` (JSON lines in, JSON lines out, one process):
# N ArchSpec lines sampled from a search space, and N graph v1 lines of MobileNet V2; median of
# REPS runs each.
#   bench/latency_batch.sh [NASCTL] [N] [REPS]
set -euo pipefail
NASCTL=${1:-build/nasctl}
N=${2:-5000}
REPS=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$NASCTL" --log-level warn space --space edgetpu --sample "$N" > "$tmp/arch.jsonl"
line=$("$NASCTL" models --show mobilenet_v2 | tr -d '\n ')
for ((i = 0; i < N; i++)); do echo "$line"; done > "$tmp/graph.jsonl"

median_rate() {  # file -> "W networks/s wall, C networks/s CPU": medians over REPS runs
  local file=$1 walls=() cpus=()
  for ((r = 0; r < REPS; r++)); do
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" \
      "$NASCTL" --log-level warn --threads 1 latency --batch "$file" > "$tmp/out.jsonl"
    [[ $(wc -l < "$tmp/out.jsonl") -eq $N ]] || { echo "expected $N result lines" >&2; exit 1; }
    read -r wall user sys < "$tmp/time"
    walls+=("$(echo "$N / $wall" | bc -l)")
    cpus+=("$(echo "$N / ($user + $sys)" | bc -l)")
  done
  local median='{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]}'
  echo "$(printf '%s\n' "${walls[@]}" | sort -g | awk "$median") networks/s wall," \
       "$(printf '%s\n' "${cpus[@]}" | sort -g | awk "$median") networks/s per CPU second"
}

echo "nasctl latency --batch, $N lines, median of $REPS runs (includes process start-up)"
echo "ArchSpec lines (edgetpu space, lowered per line): $(median_rate "$tmp/arch.jsonl")"
echo "graph v1 lines (mobilenet_v2, $(echo -n "$line" | wc -c) bytes each): $(median_rate "$tmp/graph.jsonl")"
