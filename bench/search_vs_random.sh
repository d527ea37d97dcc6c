#!/usr/bin/env bash
# Search beats random (docs/results.md, "Search"): at one target T0, the architecture found by
# `nasctl search` (one search per seed) against the best of 10 random architectures of the same
# space whose predicted latency is within +-5% of T0, all retrained the same way with `nasctl train`
# and scored on the Fashion-MNIST test set (t10k). Random architectures are drawn uniformly
# (`nasctl space --sample`, per random seed) and kept in draw order while within +-5% of T0.
#
#   bench/search_vs_random.sh BUILD_DIR OUT_DIR T0 "SEARCH_SEEDS" "RANDOM_SEEDS" EPOCHS [extra nasctl train flags...]
#   bench/search_vs_random.sh build runs/svr 0.42 "0 1 2" "0 1 2" 10
# SEARCH_FLAGS (environment) adds flags to every `nasctl search`, e.g. SEARCH_FLAGS="--rl-lr 0.02".
# RETRAIN_SEEDS (environment), e.g. "0 1 2": every searched network and the best random network of
# each draw are also retrained with these training seeds (the protocol's own retraining uses the
# search seed, or the random seed of the draw), and the script then compares the networks by their
# mean over those retrainings as well: one retraining moves by a few tenths of a point between seeds.
set -euo pipefail
build=$1
out=$2
t0=$3
search_seeds=$4
random_seeds=$5
epochs=$6
shift 6
nasctl="$build/nasctl"
space=tiny
hardware=coral-usb3
mkdir -p "$out"

retrain() {  # retrain ARCH_FILE RUN_DIR SEED
  local arch=$1 run=$2 seed=$3
  shift 3
  if [[ ! -f "$run/done" ]]; then
    rm -rf "$run"
    "$nasctl" --seed "$seed" --log-level warn train --arch "$arch" --data fashion-mnist --epochs "$epochs" --out "$run" "$@" \
      > "$run.log" 2>&1 || { echo "training $arch failed, see $run.log"; exit 1; }
    touch "$run/done"
  fi
}

retrain_again() {  # retrain_again ARCH_FILE RUN_DIR OWN_SEED: the RETRAIN_SEEDS other than the protocol's own
  local arch=$1 run=$2 own=$3 t
  shift 3
  for t in ${RETRAIN_SEEDS:-}; do
    [[ "$t" == "$own" ]] || retrain "$arch" "${run}_t$t" "$t" "$@"
  done
}

for s in $search_seeds; do
  run="$out/search_s$s"
  if [[ ! -f "$run/arch.json" ]]; then
    rm -rf "$run"
    "$nasctl" --seed "$s" --log-level warn search --space "$space" --hardware "$hardware" --target-ms "$t0" --out "$run" \
      ${SEARCH_FLAGS:-} > "$run.log" 2>&1 || { echo "search seed $s failed, see $run.log"; exit 1; }
  fi
  retrain "$run/arch.json" "$out/search_s$s.train" "$s" "$@"
done

for r in $random_seeds; do
  dir="$out/random_r$r"
  mkdir -p "$dir"
  if [[ ! -f "$dir/chosen.txt" ]]; then
    "$nasctl" --seed "$r" space --space "$space" --sample 3000 > "$dir/samples.jsonl"
    "$nasctl" latency --batch "$dir/samples.jsonl" --hardware "$hardware" > "$dir/latency.jsonl"
    /usr/bin/python3 - "$dir" "$t0" <<'EOF'
import json, sys
d, t0 = sys.argv[1], float(sys.argv[2])
samples = [l for l in open(f"{d}/samples.jsonl") if l.strip()]
lat = [json.loads(l) for l in open(f"{d}/latency.jsonl") if l.strip()]
chosen = [i for i, l in enumerate(lat) if abs(l["latency_ms"] / t0 - 1) <= 0.05 and l["on_edgetpu"]][:10]
assert len(chosen) == 10, f"only {len(chosen)} of 3000 random architectures within 5% of {t0}"
for k, i in enumerate(chosen):
    open(f"{d}/arch{k}.json", "w").write(samples[i])
open(f"{d}/chosen.txt", "w").write("\n".join(f"arch{k}.json {lat[i]['latency_ms']:.4f}" for k, i in enumerate(chosen)) + "\n")
EOF
  fi
  for k in $(seq 0 9); do retrain "$dir/arch$k.json" "$dir/arch$k.train" "$r" "$@"; done
  best_k=$(/usr/bin/python3 -c 'import json, sys
def top1(k):  # the last epoch test top-1 of random network k
    return [json.loads(l) for l in open(f"{sys.argv[1]}/arch{k}.train/metrics.jsonl") if l.strip()][-1]["val_top1"]
accs = [top1(k) for k in range(10)]
print(accs.index(max(accs)))' "$dir")
  retrain_again "$dir/arch$best_k.json" "$dir/arch$best_k.train" "$r" "$@"
done

for s in $search_seeds; do
  retrain_again "$out/search_s$s/arch.json" "$out/search_s$s.train" "$s" "$@"
done

/usr/bin/python3 - "$out" "$t0" "$search_seeds" "$random_seeds" "$epochs" "${RETRAIN_SEEDS:-}" <<'EOF'
import json, statistics, sys
out, t0, search_seeds, random_seeds, epochs = sys.argv[1], float(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split(), sys.argv[5]
retrain_seeds = sys.argv[6].split()
def top1(run):
    lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if l.strip()]
    return 100 * lines[-1]["val_top1"]
def spread(v):
    return f"{statistics.mean(v):.2f} +- {statistics.stdev(v):.2f}" if len(v) > 1 else f"{v[0]:.2f}"
def retrained(run, own):  # the protocol's own retraining and those with the other RETRAIN_SEEDS
    return [top1(run if t == own else f"{run}_t{t}") for t in (retrain_seeds or [own])]
searched, lat, searched_mean = [], [], []
for s in search_seeds:
    searched.append(top1(f"{out}/search_s{s}.train"))
    searched_mean.append(statistics.mean(retrained(f"{out}/search_s{s}.train", s)))
    lat.append(json.load(open(f"{out}/search_s{s}/arch.json"))["latency_ms"])
best, best_mean, mean_random = [], [], []
for r in random_seeds:
    accs = [top1(f"{out}/random_r{r}/arch{k}.train") for k in range(10)]
    k = accs.index(max(accs))
    best.append(accs[k])
    best_mean.append(statistics.mean(retrained(f"{out}/random_r{r}/arch{k}.train", r)))
    mean_random.extend(accs)
print(f"T0 = {t0} ms on coral-usb3, tiny space, retrained {epochs} epochs, Fashion-MNIST test top-1 (%)")
print("| | runs | test top-1 (%) mean +- std | latency (ms) |")
print("|---|---:|---:|---|")
print(f"| searched (one search per seed) | {len(searched)} | {spread(searched)} | {', '.join(f'{x:.3f}' for x in lat)} |")
print(f"| best of 10 random within +-5% | {len(best)} | {spread(best)} | within +-5% |")
print(f"| any random within +-5% | {len(mean_random)} | {spread(mean_random)} | within +-5% |")
print("per seed: searched " + ", ".join(f"{x:.2f}" for x in searched) + "; best random " + ", ".join(f"{x:.2f}" for x in best))
if retrain_seeds:
    print(f"each network's mean over training seeds {' '.join(retrain_seeds)}: searched "
          + ", ".join(f"{x:.2f}" for x in searched_mean) + f" ({spread(searched_mean)}); best random "
          + ", ".join(f"{x:.2f}" for x in best_mean) + f" ({spread(best_mean)})")
EOF
