#!/bin/sh
# The install_out_of_tree_adapter test: what a user of the installed package
# does, from a build of this repository.
#
#   sh tools/test_install.sh BUILD_DIR WORK_DIR CXX [FLAGS]
#
# FLAGS: compiler flags for the example's builds, compiling and linking
# (a sanitizer build's -fsanitize=...).
#
# 1. `cmake --install BUILD_DIR` into a scratch prefix, then moves the
#    prefix: nothing installed may depend on where it was installed (RPATHs
#    are $ORIGIN-relative, the CMake package and the .pc files find their
#    prefix from where they lie, loopcert finds its fault shim from its own).
# 2. Compiles every installed header (one file including them all) with
#    the prefix's include/ alone: none includes a header left uninstalled.
# 3. Copies examples/adapter out of the source tree and builds it against
#    the prefix with find_package(pep3156): the adapter module and the
#    static-route binary. The installed loopcert (the example's ctest
#    `certify`, pep3156::loopcert) certifies the module on the whole kit;
#    the static-route binary runs the networking suites.
# 4. Checks every .pc file (its Requires resolve, its -l flags name
#    installed libraries), builds the adapter again with a bare compiler
#    line from `pkg-config pep3156-reference` and certifies it with the
#    installed loopcert on the networking suites, then once under --faults,
#    which must find the installed shim.
# 5. Runs the installed loopbench once, which must load the installed
#    reference adapter.
# Each run must print "verdict: conforming" (ctest -V puts "1: " before it).
set -eu
build_dir=$(cd "$1" && pwd)
work=$2
cxx=$3
flags=${4:-}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
# Where a wrong link line or a missing library shows first: every suite
# that opens sockets, pipes or processes, TLS included (connections, servers).
networking="--category connections --category servers --category sockets --category datagrams
  --category names --category pipes --category subprocesses --category transports --category protocols"

# certify NAME COMMAND...: runs a certification, prints its verdict line,
# fails (showing the whole output) unless it is "verdict: conforming".
certify() {
  name=$1
  shift
  "$@" >"$work/$name.txt" 2>&1 || true
  grep "verdict: " "$work/$name.txt" | sed "s/^/$name: /"
  grep -q "verdict: conforming$" "$work/$name.txt" || {
    cat "$work/$name.txt"
    exit 1
  }
}

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build_dir" --prefix "$work/installed-here" >/dev/null
mv "$work/installed-here" "$work/prefix"
prefix=$work/prefix
loopcert=$prefix/bin/loopcert
cp -R "$source_dir/examples/adapter" "$work/source"

echo "== every installed header finds what it includes in the prefix"
(cd "$prefix/include" && find . -name '*.hpp' | sort | sed 's|^\./\(.*\)|#include "\1"|') >"$work/all_headers.cpp"
# shellcheck disable=SC2086 # $flags is a list of flags
"$cxx" $flags -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" "$work/all_headers.cpp"
echo "$(wc -l <"$work/all_headers.cpp") headers"

echo "== find_package(pep3156): the adapter module and the static route"
cmake -S "$work/source" -B "$work/with-cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$work/with-cmake" -j2 >/dev/null
certify cmake-module ctest --test-dir "$work/with-cmake" -R "^certify$" -V
# shellcheck disable=SC2086 # $networking is a list of arguments
certify cmake-static-route "$work/with-cmake/reference_poll_certify" -j2 --no-progress $networking

echo "== pkg-config: every .pc file resolves, and names installed libraries"
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name pep3156.pc)")
export PKG_CONFIG_PATH
libdir=$(pkg-config --variable=libdir pep3156)
for pc in "$PKG_CONFIG_PATH"/*.pc; do
  module=$(basename "$pc" .pc)
  pkg-config --exists --print-errors "$module"
  for flag in $(pkg-config --libs-only-l "$module"); do
    library=${flag#-l}
    [ -e "$libdir/lib$library.so" ] || [ -e "$libdir/lib$library.a" ] || {
      echo "$module: $flag names no library in $libdir"
      exit 1
    }
  done
  echo "$module: $(pkg-config --libs-only-l "$module")"
done

echo "== pkg-config pep3156-reference: the adapter module"
adapter=$work/libreference_poll_adapter.so
# The .pc files give include and library paths; where to find the
# libraries at run time is the user's choice: here an RPATH.
# --no-undefined: the link line pkg-config gives is complete.
# shellcheck disable=SC2046,SC2086 # pkg-config's output and $flags are lists of flags
"$cxx" $flags -std=c++20 -Wall -Wextra -Werror -shared -fPIC -o "$adapter" "$work/source/reference_poll_adapter.cpp" \
  $(pkg-config --cflags --libs pep3156-reference) -Wl,--no-undefined -Wl,-rpath,"$libdir"
# shellcheck disable=SC2086
certify pkg-config-module "$loopcert" --adapter "$adapter" -j2 --no-progress $networking
# Not in a sanitizer build: ASan refuses to start behind a preloaded shim
# ("ASan runtime does not come first in initial library list").
case "$flags" in
  *-fsanitize=*) echo "pkg-config-faults: skipped, the fault shim cannot preload ahead of $flags" ;;
  *) certify pkg-config-faults "$loopcert" --adapter "$adapter" -j2 --no-progress --faults seed=1 --category sockets ;;
esac

echo "== the installed loopbench runs the installed reference adapter by default"
"$prefix/bin/loopbench" --benchmark_min_time=0.001 "--benchmark_filter=^wake_up/loop" >"$work/loopbench.txt" 2>&1
grep "^adapter_library: $prefix/" "$work/loopbench.txt" || {
  cat "$work/loopbench.txt"
  exit 1
}
