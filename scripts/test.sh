#!/usr/bin/env bash
# Quick start, second command: installs what is needed, checks the sources' formatting
# (scripts/format.sh --check), builds, and runs the whole test suite; then the same suite again in
# an AddressSanitizer + UndefinedBehaviorSanitizer build (scripts/sanitize.sh), and every libFuzzer
# target for 12 s on its seed corpus (scripts/fuzz.sh).
# GUI tests render in real windows, so ctest runs inside a virtual X server (xvfb-run).
# `scripts/test.sh --quick` stops after the first suite (for a quick check while developing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/format.sh --check
bash scripts/build.sh
echo "test: running every test under Xvfb"
(cd build && xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure -j 2)
if [ "${1:-}" = "--quick" ]; then exit 0; fi
bash scripts/sanitize.sh
bash scripts/fuzz.sh
