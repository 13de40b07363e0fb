#!/bin/sh
# make faults: the whole conformance kit on every poller of the reference
# loop with its case processes under the fault shim (harness/faults/:
# EINTR, EAGAIN, short counts, EMFILE from accept), then the checksum soak
# under the shim on each poller. Prints a verdict per run.
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
note() {  # NAME VERDICT
  recap="$recap$(printf '%-24s %s' "$1" "$2")
"
}
for loop in $("$loopcert" --adapter "$adapter" --list-loops | cut -f1); do
  echo "== faults: the kit on $loop ($spec)"
  out=$(mktemp)
  set +e
  "$loopcert" --adapter "$adapter" --loop "$loop" --faults "$spec" | tee "$out"
  code=$?
  set -e
  passed=$(awk '/^total /{print $3 " of " $2 " cases passed"; exit}' "$out")
  verdict=$(tail -n 1 "$out" | sed -n 's/^verdict: //p')
  rm -f "$out"
  [ "$code" -eq 0 ] && [ -n "$verdict" ] || status=1
  note "kit $loop" "${verdict:-no verdict (loopcert exited with status $code)}${passed:+ ($passed)}"

  echo "== faults: the checksum soak on $loop ($spec)"
  if LD_PRELOAD="$shim" PEP3156_FAULTS="$spec" "$soak" --subcase="$loop"; then
    note "soak $loop" "every byte back"
  else
    note "soak $loop" "FAILED"
    status=1
  fi
  echo
done
echo "== faults: verdicts (seed $seed, rate $rate)"
printf '%s' "$recap"
exit $status
