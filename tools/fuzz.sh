#!/bin/sh
# make fuzz: builds the fuzz targets (harness/fuzz/README.md) with clang,
# libFuzzer (harness/fuzz/CMakeLists.txt), AddressSanitizer and
# UndefinedBehaviorSanitizer in a build directory of their own, then runs
# each for SECONDS on its committed corpus.
# New interesting inputs go to BUILD/fuzz-corpus/<target>/; FUZZ_MERGE=1
# (make fuzz-merge) merges them into harness/fuzz/corpus/<target>/. A crash
# leaves its input in BUILD/fuzz-artifacts/ and fails the run.
#   usage: tools/fuzz.sh BUILD_DIR SECONDS [TARGET...]
set -eu

build=$1
seconds=$2
shift 2
targets=${*:-budgets expectations registry wire compare loop_model}
root=$(cd "$(dirname "$0")/.." && pwd)
merge=${FUZZ_MERGE:-0}

launcher=""
if command -v ccache >/dev/null 2>&1; then launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; fi
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++ $launcher -DPEP3156_FUZZ=ON \
  -DPEP3156_SANITIZE=address,undefined >/dev/null
build_targets=""
for t in $targets; do build_targets="$build_targets fuzz_$t"; done
# shellcheck disable=SC2086
cmake --build "$build" -j "$(nproc)" --target $build_targets

mkdir -p "$build/fuzz-artifacts"
failed=""
for t in $targets; do
  corpus="$root/harness/fuzz/corpus/$t"
  found="$build/fuzz-corpus/$t"
  log="$build/fuzz-$t.log"
  mkdir -p "$found"
  # The loop model's target links the reference loop and is built in reference/.
  fuzzer="$build/harness/fuzz/fuzz_$t"
  [ -x "$fuzzer" ] || fuzzer="$build/harness/fuzz/reference/fuzz_$t"
  # The loop model's inputs are programs that run for real: short ones, and
  # a generous per-input timeout for a loaded machine.
  limits="-timeout=30"
  if [ "$t" = loop_model ]; then limits="$limits -max_len=512"; fi
  # shellcheck disable=SC2086
  if "$fuzzer" -max_total_time="$seconds" $limits -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$t-" "$found" "$corpus" >"$log" 2>&1; then
    status="clean"
  else
    status="CRASH (input in $build/fuzz-artifacts/, log $log)"
    failed="$failed $t"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  echo "fuzz_$t: ${runs:-?} executions in ${time:-$seconds} s, $(ls "$found" | wc -l) new inputs: $status"
  if [ "$merge" = 1 ]; then
    "$fuzzer" -merge=1 $limits "$corpus" "$found" >>"$log" 2>&1
    echo "fuzz_$t: corpus now $(ls "$corpus" | wc -l) inputs (merged)"
  fi
done

if [ -n "$failed" ]; then
  echo "fuzz: crashes in:$failed; once fixed, add each input to harness/fuzz/regressions/<target>/" >&2
  exit 1
fi
echo "fuzz: every target ran clean"
