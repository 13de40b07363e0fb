#!/bin/sh
# make certify: runs loopcert against the reference loop on every poller
# this build offers (or, with ADAPTER=lib.so, against every loop that
# library offers), writes the reports to results/ and prints the verdicts.
#
#   sh tools/certify.sh BUILD_DIR [ADAPTER [NAME]]
#
# Reports: results/<name>-<loop>.json (CTRF) and .xml (JUnit), where <name>
# is NAME, else "reference" or the adapter library's file name. A loop
# whose expectations file exists (harness/expectations/<name>-<loop>.json,
# else harness/expectations/<name>.json) is run with it: loopcert's exit
# status is then the expectations gate. Every verdict printed
# here is the last line loopcert printed for that loop; when there is none
# (loopcert could not run), this says so instead. Exit status 0 when every
# loop is conforming (or partially conforming), or its expectations gate is
# green; 1 otherwise.
set -eu
build_dir=${1:-build}
adapter=${2:-}
name=${3:-}
loopcert="$build_dir/harness/loopcert"
if [ ! -x "$loopcert" ]; then
  echo "certify: no verdict: $loopcert is not built"
  exit 1
fi
if [ -z "$adapter" ]; then
  adapter="$build_dir/harness/adapters/reference/libloopcert_reference_adapter.so"
  name=reference
  if [ ! -f "$adapter" ]; then
    echo "certify: no verdict: the reference loop's adapter ($adapter) is not built"
    exit 1
  fi
elif [ -z "$name" ]; then
  name=$(basename "$adapter" .so)
  name=${name#lib}
fi

loops=$("$loopcert" --adapter "$adapter" --list-loops | cut -f1) || {
  echo "certify: no verdict: loopcert cannot load $adapter"
  exit 1
}
mkdir -p results
recap=""
status=0
for loop in $loops; do
  report="results/$name-$loop"
  echo "== certify: $name $loop"
  expectations=""
  for candidate in "harness/expectations/$name-$loop.json" "harness/expectations/$name.json"; do
    if [ -f "$candidate" ]; then
      expectations=$candidate
      break
    fi
  done
  out=$(mktemp)
  set +e
  "$loopcert" --adapter "$adapter" --loop "$loop" --report "$report.json" --junit "$report.xml" \
    ${expectations:+--expectations "$expectations"} | tee "$out"
  code=$?
  set -e
  verdict=$(tail -n 1 "$out" | sed -n 's/^verdict: //p')
  rm -f "$out"
  if [ -z "$verdict" ]; then
    verdict="no verdict (loopcert exited with status $code)"
    status=1
  elif [ "$code" -ne 0 ]; then
    status=1
  fi
  recap="$recap$(printf '%-28s %-22s %s' "$name-$loop" "$verdict" "$report.json")
"
  echo
done
echo "== certify: verdicts"
printf '%s' "$recap"
exit $status
