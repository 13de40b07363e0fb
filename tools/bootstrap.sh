#!/bin/sh
# Installs the Debian packages the project builds and tests with, when any
# is missing; does nothing (and says so in one line) when all are present.
# Run by every Makefile target, so a fresh Debian 12 machine needs only
# `make certify` or `make test`.
set -eu

# clang and libclang-rt-14-dev (libFuzzer's runtime) are for `make fuzz`;
# chromium for the results site's browser test (ctest results_site_browser);
# the mingw-w64 cross-compiler (posix threads) and wine64 for the Windows
# build that `make test` runs under Wine (README.md, "Platforms").
packages="
  cmake g++ make pkg-config
  doctest-dev nlohmann-json3-dev libbenchmark-dev libssl-dev openssl
  libuv1-dev libevent-dev libev-dev libasio-dev liburing-dev
  python3 python3-jsonschema libpython3-dev python3-uvloop python3-gbulb
  socat procps
  clang libclang-rt-14-dev
  chromium g++-mingw-w64-x86-64-posix wine64
"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "bootstrap: all build and test packages present"
  exit 0
fi

echo "bootstrap: installing$missing"
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "bootstrap: not root and no sudo; install these packages:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
