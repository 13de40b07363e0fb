#!/bin/sh
# make certify-all: certifies every adapter library the build has, each of
# its loops, and regenerates the matrix of results.
#
#   sh tools/certify_all.sh BUILD_DIR
#
# Every library in BUILD_DIR/harness/adapters/<adapter>/ (reference, libuv,
# libevent, libev, asio: one directory per wrapped library) goes through
# tools/certify.sh under the name <adapter>, which writes
# results/<adapter>-<loop>.json and .xml with the expectations file that
# names the loop, if there is one (harness/expectations/<adapter>-<loop>.json,
# else harness/expectations/<adapter>.json). Then results/README.md is
# regenerated from every report in results/ (tools/results_matrix.py), and
# the results site results/site/ from the same reports (tools/results_site.py).
# Exit status 0 when every loop's loopcert exit status was 0: conforming,
# or, with an expectations file, every deviation expected.
set -eu
build_dir=${1:-build}
status=0
for directory in "$build_dir"/harness/adapters/*/; do
  adapter=$(basename "$directory")
  for library in "$directory"lib*.so; do
    [ -f "$library" ] || continue
    sh tools/certify.sh "$build_dir" "$library" "$adapter" || status=1
  done
done
python3 tools/results_matrix.py results > results/README.md.new
mv results/README.md.new results/README.md
echo "== certify-all: results/README.md regenerated"
python3 tools/results_site.py
exit $status
