#!/bin/sh
# The Windows build's unit tests, for ctest (windows_tests, label wine):
# cross-builds BUILD_WIN from SOURCE with mingw-w64, then runs its tests
# under Wine (tools/wine.sh), stopping Wine's server whatever happens.
# Exits 77 (ctest's SKIP_RETURN_CODE) with the reason when mingw-w64 or
# wine64 is missing.
#
#   tools/windows_tests.sh SOURCE BUILD_WIN
set -eu
[ $# -eq 2 ] || { echo "usage: tools/windows_tests.sh SOURCE BUILD_WIN" >&2; exit 2; }
source_dir=$1
build_dir=$2
wine="sh $source_dir/tools/wine.sh"

if ! command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1; then
  echo "SKIPPED: mingw-w64 not installed (Debian package g++-mingw-w64-x86-64-posix)"
  exit 77
fi
if ! reason=$($wine check); then
  echo "SKIPPED: $reason"
  exit 77
fi

launcher=""
if command -v ccache >/dev/null 2>&1; then
  launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
fi
start=$(date +%s)
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_TOOLCHAIN_FILE="$source_dir/cmake/toolchain-mingw-w64.cmake" \
  $launcher >/dev/null
cmake --build "$build_dir" -j "${JOBS:-2}"
built=$(date +%s)

$wine start
trap '$wine stop' EXIT
ctest --test-dir "$build_dir" --output-on-failure
echo "windows_tests: cross-build $((built - start)) s, Wine start and tests $(($(date +%s) - built)) s"
