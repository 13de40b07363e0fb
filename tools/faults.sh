#!/bin/sh
# make faults: the whole conformance kit on every poller of the reference
# loop with its case processes under the fault shim (harness/faults/:
# EINTR, EAGAIN, short counts, EMFILE from accept), then the checksum soak
# under the shim on each poller. Prints a verdict per run, the soak's
# checksum counts and the wall time.
#
#   sh tools/faults.sh BUILD_DIR [SEED]
#
# SEED (make faults FAULT_SEED=N) defaults to 1; FAULT_RATE (default 0.05)
# is each call's chance of a fault. Exit status 0 when every run passed.
set -eu
build_dir=${1:-build}
seed=${2:-1}
rate=${FAULT_RATE:-0.05}
spec="seed=$seed,rate=$rate,kinds=eintr+eagain+short+emfile"
loopcert="$build_dir/harness/loopcert"
adapter="$build_dir/harness/adapters/reference/libloopcert_reference_adapter.so"
shim="$build_dir/harness/faults/libloopcert_faults.so"
soak="$build_dir/reference/net/tests/net_soak_test"
for built in "$loopcert" "$adapter" "$shim" "$soak"; do
  if [ ! -f "$built" ]; then
    echo "faults: no verdict: $built is not built"
    exit 1
  fi
done

recap=""
status=0
started=$(date +%s)
# run_logged FILE COMMAND...: runs COMMAND with its output shown and kept in
# FILE, and sets `code` to COMMAND's exit status (a pipeline's status would
# be tee's: POSIX sh has no pipefail).
run_logged() {
  file=$1
  shift
  { rc=0; "$@" 2>&1 || rc=$?; echo "$rc" >"$file.status"; } | tee "$file"
  code=$(cat "$file.status")
  rm -f "$file.status"
}
note() {  # NAME VERDICT
  recap="$recap$(printf '%-24s %s' "$1" "$2")
"
}
for loop in $("$loopcert" --adapter "$adapter" --list-loops | cut -f1); do
  echo "== faults: the kit on $loop ($spec)"
  out=$(mktemp)
  run_logged "$out" "$loopcert" --adapter "$adapter" --loop "$loop" --faults "$spec"
  passed=$(awk '/^total /{print $3 " of " $2 " cases passed"; exit}' "$out")
  verdict=$(tail -n 1 "$out" | sed -n 's/^verdict: //p')
  rm -f "$out"
  [ "$code" -eq 0 ] && [ -n "$verdict" ] || status=1
  note "kit $loop" "${verdict:-no verdict (loopcert exited with status $code)}${passed:+ ($passed)}"

  echo "== faults: the checksum soak on $loop ($spec)"
  out=$(mktemp)
  run_logged "$out" env LD_PRELOAD="$shim" PEP3156_FAULTS="$spec" "$soak" --subcase="$loop"
  # One "checksums: N of M connections echoed intact, B bytes back" per soak size.
  checksums=$(sed -n 's/.*checksums: //p' "$out" | paste -sd ';' | sed 's/;/; /g')
  rm -f "$out"
  if [ "$code" -eq 0 ] && [ -z "$checksums" ]; then
    # The soak runs on the selector pollers only (net_soak_test.cpp).
    note "soak $loop" "not run: the soak has no subcase for this loop"
  elif [ "$code" -eq 0 ]; then
    note "soak $loop" "every byte back ($checksums)"
  else
    note "soak $loop" "FAILED, status $code (${checksums:-no checksum line})"
    status=1
  fi
  echo
done
echo "== faults: verdicts (seed $seed, rate $rate, $(($(date +%s) - started)) s)"
printf '%s' "$recap"
exit $status
