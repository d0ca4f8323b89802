#!/usr/bin/env bash
# Formats every C++ source the repository tracks with the repository's .clang-format
# (clang-format 14, Debian 12). `scripts/format.sh --check` changes nothing and fails, naming the
# files, when any is not formatted; scripts/test.sh runs the check first, so CI refuses drift.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = "--check" ]; then
  # One clang-format over every source (a process per file took 25 s of CI's budget, this 2 s); it
  # names each file that differs from the format in its "file:line:col: error:" lines.
  mapfile -t unformatted < <(clang-format --dry-run -Werror "${sources[@]}" 2>&1 |
    sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
  if [ "${#unformatted[@]}" -gt 0 ]; then
    echo "format: ${#unformatted[@]} file(s) not clang-formatted (run scripts/format.sh):" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    exit 1
  fi
  echo "format: ${#sources[@]} sources clang-formatted"
else
  clang-format -i "${sources[@]}"
fi
