#!/bin/sh
# make bench: runs loopbench over every loop of every adapter asked for, in
# one sweep, with repetitions and JSON output, then prints the pooled table
# of loop versus baseline medians, the cross-loop ratios and the goals
# (bench/report.py). See bench/README.md.
#
#   sh tools/bench.sh [BUILD_DIR]
#
# Environment:
#   BENCH_ADAPTERS  adapters to sweep, by name (reference, libuv, libevent,
#                   libev, asio, asio_uring, python: the built
#                   libloopcert_NAME_adapter.so) or by path to a .so;
#                   default: reference (BENCH_ADAPTER, one, still works)
#   BENCH_LOOPS     only these loops, by loop name ("epoll") or
#                   adapter/loop ("asio/epoll"); default: every loop of
#                   every adapter
#   BENCH_ROUNDS    how many times the whole sweep runs (default 1); the
#                   report pools the rounds' repetitions, so that a noisy
#                   minute, which hits one round, is outvoted; each round
#                   visits the loops in a new shuffled order
#   BENCH_REPETITIONS (default 5), BENCH_MIN_TIME (seconds per repetition
#                   of a probe, default 0.05), BENCH_LATENCY_MIN_TIME (the
#                   latency probes, which need more samples for a p99;
#                   default 0.5)
#   BENCH_EXCLUDE   a regular expression of throughput probes to leave
#                   out, for a sweep that must end in time (a loop whose
#                   timers are quadratic takes hours at 1e6); the report
#                   shows them as not measured
#   BENCH_NATIVE    1: for each adapter that is libuv's, libev's or Asio's,
#                   the same probes on that library's own API in the same
#                   run (loopbench --native; other adapters are measured
#                   alone); report.py then adds the table of adapter / native
#   BENCH_PUBLISH   set: also writes the table to results/bench-sweep.md
#                   and its figures to results/bench/DATE-sweep.json
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
loopbench="$build/bench/loopbench"
results="$build/bench-results"
repetitions=${BENCH_REPETITIONS:-5}
rounds=${BENCH_ROUNDS:-1}
case $rounds in
'' | *[!0-9]* | 0)
  echo "bench: BENCH_ROUNDS must be a whole number of rounds, 1 or more (not '$rounds')" >&2
  exit 2
  ;;
esac
min_time=${BENCH_MIN_TIME:-0.05}
latency_min_time=${BENCH_LATENCY_MIN_TIME:-0.5}
adapters=${BENCH_ADAPTERS:-${BENCH_ADAPTER:-reference}}
native=
[ "${BENCH_NATIVE:-0}" = 1 ] && native=--native
latency_probes='^(timer_lateness|wake_up)/'

# The adapter library a name or a path stands for; empty if not built.
library_of() {
  case $1 in
  */* | *.so) [ -f "$1" ] && echo "$1" ;;
  *) find "$build/harness/adapters" -name "libloopcert_$1_adapter.so" 2>/dev/null | head -n 1 ;;
  esac
}

# The sweep: one line "ADAPTER_NAME LIBRARY LOOP" per loop to measure.
sweep=$(mktemp)
trap 'rm -f "$sweep"' EXIT
for adapter in $adapters; do
  library=$(library_of "$adapter")
  if [ -z "$library" ]; then
    echo "bench: adapter '$adapter' is not built (no libloopcert_${adapter}_adapter.so under $build): skipped" >&2
    continue
  fi
  name=$(basename "$library" .so | sed 's/^lib//; s/^loopcert_//; s/_adapter$//')
  for loop in $("$loopbench" --adapter "$library" --list-loops | cut -f1); do
    if [ -z "${BENCH_LOOPS:-}" ] || echo " $BENCH_LOOPS " | grep -q -e " $loop " -e " $name/$loop "; then
      echo "$name $library $loop" >>"$sweep"
    fi
  done
done
if [ ! -s "$sweep" ]; then
  echo "bench: no loop to measure (BENCH_ADAPTERS='$adapters', BENCH_LOOPS='${BENCH_LOOPS:-}')" >&2
  exit 2
fi

mkdir -p "$results"
rm -f "$results"/*.json "$results"/*.txt
echo "bench: $(wc -l <"$sweep") loops; $(uptime | sed 's/.*load/load/') on $(nproc) cores; results in $results"
round=1
while [ "$round" -le "$rounds" ]; do
  shuf "$sweep" | while read -r name library loop; do
    for part in throughput latency; do
      if [ "$part" = latency ]; then
        filter="$latency_probes" time="$latency_min_time"
      else
        filter="-$latency_probes${BENCH_EXCLUDE:+|$BENCH_EXCLUDE}" time="$min_time"
      fi
      echo "bench: round $round of $rounds, $name/$loop, $part probes"
      # ADAPTER-LOOP-PART-ROUND; the JSON's context also names the adapter
      # and the loop, which is what report.py reads.
      out="$results/$name-$loop-$part-$round"
      # Random interleaving runs the repetitions of every probe and baseline
      # in a shuffled order, so that a noisy minute hits both alike.
      # shellcheck disable=SC2086
      "$loopbench" --adapter "$library" $native --loop "$loop" \
        --benchmark_filter="$filter" \
        --benchmark_min_time="$time" \
        --benchmark_repetitions="$repetitions" \
        --benchmark_enable_random_interleaving=true \
        --benchmark_out="$out.json" --benchmark_out_format=json \
        >"$out.txt" 2>&1 || {
        tail -n 5 "$out.txt" >&2
        exit 1
      }
    done
  done
  round=$((round + 1))
done

echo "bench: finished at load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 bench/report.py --json "$build/bench-sweep.json" "$results"/*.json | tee "$build/bench-sweep.md"
if [ -n "${BENCH_PUBLISH:-}" ]; then
  mkdir -p results/bench
  cp "$build/bench-sweep.md" results/bench-sweep.md
  cp "$build/bench-sweep.json" "results/bench/$(date -u +%F)-sweep.json"
  echo "bench: published results/bench-sweep.md and results/bench/$(date -u +%F)-sweep.json"
fi
