#!/bin/sh
# Runs cross-built Windows programs under Wine (Debian's wine64) for the
# tests: one prefix, started once, shared by every run.
#
#   tools/wine.sh check        exit 0 when Wine is installed, else say why
#   tools/wine.sh start        create the prefix if needed, start its server
#   tools/wine.sh run PROG...  run PROG (an .exe) with its arguments
#   tools/wine.sh stop         stop the prefix's server and services
#
# Why it is done this way (measured with Wine 8, issue #16):
# - wine64 puts nothing on PATH: the loader and the server live in
#   /usr/lib/wine ($PEP3156_WINE_DIR to use another). No display is needed.
# - Wine's background services inherit the first Windows process's standard
#   streams: a test run under ctest's pipe would wait for them, and for ever
#   while a persistent server (wineserver -p) holds it. `start` therefore
#   boots the prefix with all three streams on /dev/null, and `stop` ends
#   the server, so no test leaves one behind.
# - The prefix (~0.7 GB) lives outside the repository and build tree:
#   $PEP3156_WINEPREFIX, else ${XDG_CACHE_HOME:-$HOME/.cache}/pep3156-wine.
set -eu

WINE_DIR=${PEP3156_WINE_DIR:-/usr/lib/wine}
WINE="$WINE_DIR/wine64"
WINESERVER="$WINE_DIR/wineserver"
WINEPREFIX=${PEP3156_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/pep3156-wine}
WINEDEBUG=-all
export WINEPREFIX WINEDEBUG

usage() {
  echo "usage: tools/wine.sh check|start|stop|run PROGRAM [ARGS...]" >&2
  exit 2
}

check() {
  for program in "$WINE" "$WINESERVER"; do
    if [ ! -x "$program" ]; then
      echo "wine64 not installed: no $program (Debian package wine64)"
      return 1
    fi
  done
}

[ $# -ge 1 ] || usage
command=$1
shift
case "$command" in
  check)
    check
    ;;
  start)
    check >&2
    mkdir -p "$WINEPREFIX"
    # Fails when the prefix's server already runs: that one serves as well.
    "$WINESERVER" -p </dev/null >/dev/null 2>&1 || true
    "$WINE" wineboot -i </dev/null >/dev/null 2>&1
    ;;
  stop)
    check >&2
    "$WINESERVER" -k </dev/null >/dev/null 2>&1 || true
    ;;
  run)
    [ $# -ge 1 ] || usage
    check >&2
    exec "$WINE" "$@"
    ;;
  *)
    usage
    ;;
esac
