#!/bin/sh
# ctest's loopbench_native_smoke_*: every native probe of one adapter's
# library runs once, briefly, and none fails. A smoke test, not a
# measurement.
#
#   sh smoke.sh LOOPBENCH ADAPTER.so
set -u
loopbench=$1 adapter=$2
out=$("$loopbench" --adapter "$adapter" --native --benchmark_min_time=0.001 \
  '--benchmark_filter=/native(/1000|/real_time)?$' 2>&1)
status=$?
echo "$out"
[ "$status" -eq 0 ] || exit 1
if echo "$out" | grep -q 'ERROR OCCURRED'; then exit 1; fi
for probe in chained_dispatch/native ping_pong/native timers_fired/native/1000 wake_up/native; do
  echo "$out" | grep -q "^$probe" || {
    echo "smoke: $probe did not run" >&2
    exit 1
  }
done
