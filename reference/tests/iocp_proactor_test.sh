#!/bin/sh
# Cross-builds the IOCP proactor's unit test (iocp_proactor_test.cpp) with
# mingw-w64 and runs it under Wine: until the Windows build is in CMake,
# the one command that does both.
#
#   reference/tests/iocp_proactor_test.sh [BUILD_DIR] [DOCTEST_ARGS...]
#
# BUILD_DIR defaults to build-win. The posix thread model is GCC 12's only
# one with std::thread; -static leaves no DLL to ship (issue #16). Wine
# runs in $WINEPREFIX (default /tmp/wine-iocp, ~0.7 GB, outside the tree),
# its server started with every stream on /dev/null (else Wine's services
# hold the caller's pipe) and stopped after the run.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build-win}
[ $# -gt 0 ] && shift
mkdir -p "$build/include"
exe="$build/iocp_proactor_test.exe"
# Debian's doctest is header-only, but /usr/include is Linux's: only its
# doctest/ joins the cross build.
ln -sfn /usr/include/doctest "$build/include/doctest"

x86_64-w64-mingw32-g++-posix -std=c++20 -O1 -Wall -Wextra -Werror -static \
  -I"$root/reference/include" -I"$root/reference/src" -I"$root/spec/cpp/include" -I"$build/include" \
  "$here/iocp_proactor_test.cpp" \
  "$root/reference/src/iocp_proactor.cpp" "$root/reference/src/proactor.cpp" \
  "$root/reference/src/registration_checks.cpp" "$root/reference/src/wait_deadline.cpp" \
  "$root/reference/src/windows_errors.cpp" \
  -lws2_32 -lntdll -o "$exe"

export WINEDEBUG=-all
export WINEPREFIX=${WINEPREFIX:-/tmp/wine-iocp}
wine_dir=/usr/lib/wine
mkdir -p "$WINEPREFIX"
"$wine_dir/wineserver" -p </dev/null >/dev/null 2>&1 || true  # already running: fine
"$wine_dir/wine64" wineboot -i </dev/null >/dev/null 2>&1
set +e
"$wine_dir/wine64" "$exe" "$@" </dev/null
status=$?
set -e
"$wine_dir/wineserver" -k </dev/null >/dev/null 2>&1 || true
exit $status
