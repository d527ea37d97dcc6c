#!/usr/bin/env bash
# Latency target met in one search (docs/results.md, "Search"): for each target T0, one search with
# the given config (default: the embedded quick search of the tiny space on Fashion-MNIST, coral-usb3)
# and reward; reports the most likely architecture's predicted latency against T0 (goal: within
# +-5%), the run's wall time and its folder. REWARD `default` keeps the config's reward and beta;
# a named reward is passed as `--reward`, which brings that reward's own beta unless the extra
# flags give `--beta`.
#
#   bench/search_targets.sh BUILD_DIR OUT_DIR "T0 T0 T0" [REWARD] [SEED] [extra nasctl search flags...]
#   bench/search_targets.sh build runs/targets "0.50 0.55 0.60"
#   bench/search_targets.sh build runs/targets-mnas "0.50 0.55 0.60" mnas_soft
set -euo pipefail
build=$1
out=$2
targets=$3
reward=${4:-default}
seed=${5:-0}
shift $(( $# < 5 ? $# : 5 ))
nasctl="$build/nasctl"
mkdir -p "$out"
reward_flags=()
[[ "$reward" == default ]] || reward_flags=(--reward "$reward")

for t in $targets; do
  run="$out/${reward}_t${t}_s${seed}"
  if [[ ! -f "$run/arch.json" ]]; then
    rm -rf "$run"
    start=$(date +%s)
    "$nasctl" --seed "$seed" --log-level warn search --target-ms "$t" "${reward_flags[@]}" --out "$run" "$@" > "$run.log" 2>&1 \
      || { echo "search for T0 = $t failed, see $run.log"; exit 1; }
    echo $(( $(date +%s) - start )) > "$run.seconds"
  fi
done

/usr/bin/python3 - "$out" "$reward" "$seed" $targets <<'EOF'
import json, sys
out, reward, seed, targets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
print(f"| reward | T0 (ms) | found (ms) | deviation | within +-5% | steps | wall time | run |")
print(f"|---|---:|---:|---:|:---:|---:|---:|---|")
for t in targets:
    run = f"{out}/{reward}_t{t}_s{seed}"
    r = json.load(open(f"{run}/arch.json"))
    secs = int(open(f"{run}.seconds").read()) if __import__("os").path.exists(f"{run}.seconds") else 0
    dev = r["latency_ms"] / r["target_ms"] - 1
    print(f"| {reward} | {r['target_ms']:.3f} | {r['latency_ms']:.3f} | {100 * dev:+.1f}% | {'yes' if abs(dev) <= 0.05 else 'no'} "
          f"| {r['steps']} | {secs // 60}:{secs % 60:02d} | {run} |")
EOF
