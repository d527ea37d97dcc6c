#!/usr/bin/env bash
# One search for several latency targets (docs/benchmarks.md, "Search families"): for each seed, a
# family search over TARGETS and a single-target search at the middle target, the same steps and
# config otherwise, run one after the other. Reports each family member's predicted latency against
# its target (goal: within +-5%) and the family's cost against the single search's: wall time and
# CPU time (user + sys, which a busy machine distorts less), per seed and as the median ratio
# (goal: <= 1.5x). Finished runs (a `seconds` file) are reused, so the script can be resumed.
#
#   bench/search_family.sh BUILD_DIR OUT_DIR "T0,T1,T2" "SEEDS" [extra nasctl search flags...]
#   bench/search_family.sh build runs/family "0.5,0.55,0.6" "0 1 2"
set -euo pipefail
build=$1
out=$2
targets=$3
seeds=$4
shift 4
nasctl="$build/nasctl"
mkdir -p "$out"
IFS=, read -r -a list <<< "$targets"
middle=${list[$(( ${#list[@]} / 2 ))]}

timed_search() {  # timed_search RUN_DIR SEED TARGETS [flags...]
  local run=$1 seed=$2 t=$3
  shift 3
  [[ -f "$run.seconds" ]] && return
  rm -rf "$run"
  local TIMEFORMAT="%R %U %S"
  { time "$nasctl" --seed "$seed" --log-level warn search --target-ms "$t" --out "$run" "$@" > "$run.log" 2>&1 \
      || { echo "search $run failed, see $run.log"; exit 1; }; } 2> "$run.time"
  awk '{print $1, $2 + $3}' "$run.time" > "$run.seconds"  # wall, cpu
}

for s in $seeds; do
  timed_search "$out/single_s$s" "$s" "$middle" "$@"
  timed_search "$out/family_s$s" "$s" "$targets" "$@"
done

/usr/bin/python3 - "$out" "$seeds" <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2].split()
print("| seed | target (ms) | found (ms) | deviation | within +-5% |")
print("|---:|---:|---:|---:|:---:|")
within = total = 0
wall, cpu, loop = [], [], []


def loop_seconds(run):  # wall time of the search loop alone (no set-up): the last line's elapsed_s
    lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if l.strip()]
    return lines[-1]["elapsed_s"]


for s in seeds:
    family = json.load(open(f"{out}/family_s{s}/family.json"))
    for t in family["targets"]:
        dev = t["latency_ms"] / t["target_ms"] - 1
        within += abs(dev) <= 0.05
        total += 1
        print(f"| {s} | {t['target_ms']:.3f} | {t['latency_ms']:.3f} | {100 * dev:+.1f}% | {'yes' if abs(dev) <= 0.05 else 'no'} |")
    fw, fc = map(float, open(f"{out}/family_s{s}.seconds").read().split())
    sw, sc = map(float, open(f"{out}/single_s{s}.seconds").read().split())
    fl, sl = loop_seconds(f"{out}/family_s{s}"), loop_seconds(f"{out}/single_s{s}")
    wall.append(fw / sw)
    cpu.append(fc / sc)
    loop.append(fl / sl)
    print(f"| {s} | cost | family {fw:.0f} s wall ({fl:.0f} s in the loop), {fc:.0f} s CPU | single {sw:.0f} s wall "
          f"({sl:.0f} s in the loop), {sc:.0f} s CPU | {fw / sw:.2f}x wall, {fl / sl:.2f}x loop, {fc / sc:.2f}x CPU |")
def median_range(xs):
    return f"median {statistics.median(xs):.2f}x (range {min(xs):.2f} .. {max(xs):.2f})"


print(f"\n{within} of {total} targets within +-5%; family / single: wall {median_range(wall)}, "
      f"search loop {median_range(loop)}, CPU {median_range(cpu)}")
PY
