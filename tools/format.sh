#!/bin/sh
# Formats every C++ source with the project's .clang-format; with --check,
# only reports files that differ and fails if there are any.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' '*.h')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror $files
  echo "format: all $(echo "$files" | wc -w) files follow .clang-format"
else
  clang-format -i $files
fi
