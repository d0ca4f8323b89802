#!/usr/bin/env bash
# Formats every C++ source the repository tracks with the repository's .clang-format
# (clang-format 14, Debian 12). `scripts/format.sh --check` changes nothing and fails, naming the
# files, when any is not formatted; scripts/test.sh runs the check first, so CI refuses drift.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = "--check" ]; then
  unformatted=()
  for f in "${sources[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
  done
  if [ "${#unformatted[@]}" -gt 0 ]; then
    echo "format: ${#unformatted[@]} file(s) not clang-formatted (run scripts/format.sh):" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    exit 1
  fi
  echo "format: ${#sources[@]} sources clang-formatted"
else
  clang-format -i "${sources[@]}"
fi
