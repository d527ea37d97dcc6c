#!/usr/bin/env bash
# Builds the torch-free modules (core, graph, space, latency: the nasctl_base library) and their
# unit tests with AddressSanitizer + UndefinedBehaviorSanitizer into build-sanitize/, and runs the
# tests; any sanitizer report fails. The torch modules are left out: LibTorch itself is not built
# with the sanitizers, so reports from inside it would be noise.
#   scripts/sanitize.sh            build + run (CI runs this from scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${NASCTL_JOBS:-2}
out=build-sanitize
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNASCTL_BUILD_BENCH=OFF \
      -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
      ${NASCTL_CMAKE_ARGS:-} >/dev/null
modules=(core graph space latency)
targets=()
for m in "${modules[@]}"; do targets+=("${m}_test"); done
cmake --build "$out" -j "$jobs" --target "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for t in "${targets[@]}"; do
  echo "sanitize: $t"
  # Test names go through the binaries directly: ctest would also list the torch modules' tests.
  if ! "$out/tests/$t" --gtest_brief=1; then failed=1; fi
done
[ $failed -eq 0 ] && echo "sanitize: clean (${targets[*]})"
exit $failed
