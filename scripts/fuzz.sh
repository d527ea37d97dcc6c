#!/usr/bin/env bash
# Builds nasctl's libFuzzer targets (fuzz/*.cpp) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, then runs each for SECONDS (default 10) from a seed
# corpus of the project's own files and bad-input corpus. Any crash, sanitizer report, leak or
# escaping exception other than nasctl::Error fails the script; the input that did it is kept in
# build-fuzz/findings/<target>/.
#   scripts/fuzz.sh            short run of every target (CI)
#   scripts/fuzz.sh 600        the longer run documented in docs/reliability.md
#   scripts/fuzz.sh 60 image   one target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${NASCTL_FUZZ_SECONDS:-10}}
only=${2:-}
out=build-fuzz
jobs=${NASCTL_JOBS:-2}
cxx=${NASCTL_FUZZ_CXX:-clang++}
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (scripts/setup.sh installs clang)"; exit 1; }

mkdir -p "$out/obj" "$out/generated/export" "$out/bin" "$out/findings"
cmake -DSOURCE_DIR="$PWD" -DOUTPUT="$out/generated/embedded_configs.cpp" -P cmake/EmbedConfigs.cmake
flatc --cpp --scoped-enums -o "$out/generated/export" src/export/schema/tflite_subset.fbs

flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
       -Iinclude -Isrc -I"$out/generated/export")

# The torch-free sources the readers need; compiled once, shared by every target.
sources=(src/core/*.cpp src/graph/*.cpp src/space/*.cpp src/latency/*.cpp "$out/generated/embedded_configs.cpp"
         src/search/options.cpp src/search/reward.cpp src/nn/archive_index.cpp src/data/codec.cpp
         src/export/tflite_reader.cpp src/export/tflite_model.cpp)
objects=()
for src in "${sources[@]}"; do objects+=("$out/obj/$(echo "$src" | tr '/' '_').o"); done
for i in "${!sources[@]}"; do printf '%s\n%s\n' "${sources[$i]}" "${objects[$i]}"; done | NASCTL_FLAGS="${flags[*]}" xargs -d '\n' -n 2 -P "$jobs" bash -c \
  'src=$0 obj=$1; [ -f "$obj" ] && [ "$obj" -nt "$src" ] && exit 0; '"$cxx"' $NASCTL_FLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$obj"'
libs=(-lturbojpeg -lpng -lz -lspdlog -lfmt -lpthread)

# target name -> source and defines
declare -A target_src=(
  [graph]=fuzz/json_reader_fuzz.cpp [arch]=fuzz/json_reader_fuzz.cpp [space]=fuzz/json_reader_fuzz.cpp
  [hardware]=fuzz/json_reader_fuzz.cpp [measurements]=fuzz/json_reader_fuzz.cpp [search_config]=fuzz/json_reader_fuzz.cpp
  [checkpoint]=fuzz/archive_fuzz.cpp [tflite]=fuzz/tflite_fuzz.cpp [idx]=fuzz/idx_fuzz.cpp [image]=fuzz/image_fuzz.cpp)
declare -A target_def=([graph]=1 [arch]=2 [space]=3 [hardware]=4 [measurements]=5 [search_config]=6)
# Seeds: the project's own files of each kind and the bad-input corpus's cases (written here).
python3 tests/corpus/bad_inputs.py nasctl "$out/seeds" --write-only >/dev/null
seeds() {
  local c="$out/seeds/cases"
  case $1 in
    graph) find tests/graph/data "$c/graph" "$c/batch" -type f ;;
    arch) find "$c/arch" -type f ;;
    space) find configs/spaces "$c/space" -type f ;;
    hardware) find configs/hardware "$c/hardware" -type f ;;
    measurements) find tests/latency/data "$c/measurements" -name '*.json' -type f ;;
    search_config) find configs/search "$c/search_config" -type f ;;
    checkpoint) find "$c/checkpoint" -type f ;;
    tflite) find tests/export -name '*.tflite' -type f ;;
    idx) find "$c/idx" -type f ;;
    image) find "$c/image" "$c/imagefolder" -type f ;;
  esac 2>/dev/null
}

failed=0
for target in graph arch space hardware measurements search_config checkpoint tflite image; do
  [ -n "$only" ] && [ "$only" != "$target" ] && continue
  bin="$out/bin/${target}_fuzz"
  def=${target_def[$target]:-0}
  "$cxx" "${flags[@]}" -fsanitize=fuzzer -DNASCTL_FUZZ_READER="$def" "${target_src[$target]}" "${objects[@]}" "${libs[@]}" -o "$bin"
  corpus="$out/corpus/$target"
  mkdir -p "$corpus" "$out/findings/$target"
  n=0
  while read -r seed; do cp -f "$seed" "$corpus/seed$((n++))" || true; done < <(seeds "$target")
  echo "fuzz: $target for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$out/findings/$target/" "$corpus" 2>"$out/$target.log"; then
    echo "fuzz: $target FAILED (see $out/$target.log and $out/findings/$target/)"
    tail -30 "$out/$target.log"
    failed=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$out/$target.log" | sed "s/^/fuzz: $target /" || true
done
exit $failed
