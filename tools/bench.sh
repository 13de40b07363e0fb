#!/bin/sh
# make bench: runs loopbench against the reference loop on every poller this
# build offers, with repetitions and JSON output, then prints the table of
# loop versus baseline medians and the goals (bench/report.py). See
# bench/README.md.
#
#   sh tools/bench.sh [BUILD_DIR]
#
# Environment: BENCH_REPETITIONS (default 5), BENCH_MIN_TIME (seconds per
# repetition of a probe, default 0.05), BENCH_LATENCY_MIN_TIME (the same for
# the latency probes, which need more samples for a p99; default 0.5),
# BENCH_LOOPS (default: every loop the adapter offers), BENCH_ADAPTER
# (default: the reference loop's adapter), BENCH_ROUNDS (default 1: how many
# times the whole sweep runs; report.py pools the rounds' repetitions, so
# that a noisy minute, which hits one round, is outvoted by the others),
# BENCH_NATIVE (1: if the adapter is libuv's, libev's or Asio's, the same
# probes on that library's own API in the same run, loopbench --native;
# report.py then adds the table of adapter / native).
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
adapter=${BENCH_ADAPTER:+--adapter $BENCH_ADAPTER}
native=
[ "${BENCH_NATIVE:-0}" = 1 ] && native=--native
latency_probes='^(timer_lateness|wake_up)/'

# shellcheck disable=SC2086
loops=${BENCH_LOOPS:-$("$loopbench" $adapter --list-loops | cut -f1)}
mkdir -p "$results"
rm -f "$results"/*.json "$results"/*.txt

echo "bench: $(uptime | sed 's/.*load/load/') on $(nproc) cores; results in $results"
round=1
while [ "$round" -le "$rounds" ]; do
  for loop in $loops; do
    for part in throughput latency; do
      if [ "$part" = latency ]; then
        filter="$latency_probes" time="$latency_min_time"
      else
        filter="-$latency_probes" time="$min_time"
      fi
      echo "bench: round $round of $rounds, $loop, $part probes"
      out="$results/$loop-$part-$round"
      # Random interleaving runs the repetitions of every probe and baseline
      # in a shuffled order, so that a noisy minute hits both alike.
      # shellcheck disable=SC2086
      "$loopbench" $adapter $native --loop "$loop" \
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
/usr/bin/python3 bench/report.py "$results"/*.json
