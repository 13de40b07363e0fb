#!/bin/sh
# The install_out_of_tree_adapter test: what a user of the installed package
# does, from a build of this repository.
#
#   sh tools/test_install.sh BUILD_DIR WORK_DIR CXX [LOOPCERT FILTERS...]
#
# 1. `cmake --install BUILD_DIR` into a scratch prefix, then moves the
#    prefix: nothing installed may depend on where it was installed (RPATHs
#    are $ORIGIN-relative, the CMake package and the .pc files find their
#    prefix from where they lie, loopcert finds its fault shim from its own).
# 2. Copies examples/adapter out of the source tree and builds it against
#    the prefix twice: with find_package(pep3156), then with a bare compiler
#    line from `pkg-config pep3156-reference`.
# 3. Certifies both builds with the INSTALLED loopcert (the first through
#    the example's own ctest, which runs pep3156::loopcert), each of which
#    must print "verdict: conforming", and runs the installed loopcert
#    --faults once, which must find the installed shim.
#
# The filters narrow the kit runs (the whole kit takes minutes on two
# cores); none: the whole kit.
set -eu
build_dir=$(cd "$1" && pwd)
work=$2
cxx=$3
shift 3
source_dir=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build_dir" --prefix "$work/installed-here" >/dev/null
mv "$work/installed-here" "$work/prefix"
prefix=$work/prefix
loopcert=$prefix/bin/loopcert
cp -R "$source_dir/examples/adapter" "$work/source"

echo "== find_package(pep3156): configure, build, ctest (pep3156::loopcert $*)"
cmake -S "$work/source" -B "$work/with-cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
  -DLOOPCERT_FILTERS="$*" >/dev/null
cmake --build "$work/with-cmake"
ctest --test-dir "$work/with-cmake" -V >"$work/with-cmake/ctest.txt" 2>&1 || {
  cat "$work/with-cmake/ctest.txt"
  exit 1
}
grep -E "verdict|tests passed" "$work/with-cmake/ctest.txt"

echo "== pkg-config pep3156-reference: compile, loopcert $*"
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name pep3156.pc)")
export PKG_CONFIG_PATH
adapter=$work/with-pkg-config/libreference_poll_adapter.so
mkdir -p "$work/with-pkg-config"
# The .pc files give include and library paths; where to find the
# libraries at run time is the user's choice: here an RPATH.
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
"$cxx" -std=c++20 -Wall -Wextra -Werror -shared -fPIC -o "$adapter" "$work/source/reference_poll_adapter.cpp" \
  $(pkg-config --cflags --libs pep3156-reference) -Wl,-rpath,"$(pkg-config --variable=libdir pep3156)"
"$loopcert" --adapter "$adapter" -j2 --no-progress "$@" >"$work/with-pkg-config/summary.txt" || true
grep "verdict" "$work/with-pkg-config/summary.txt"
grep -qx "verdict: conforming" "$work/with-pkg-config/summary.txt" || {
  cat "$work/with-pkg-config/summary.txt"
  exit 1
}

echo "== the installed loopcert --faults finds the installed shim"
"$loopcert" --adapter "$adapter" -j2 --no-progress --faults seed=1 --category sockets | grep -x "verdict: conforming"
