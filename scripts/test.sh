#!/usr/bin/env bash
# Quick start, second command: installs what is needed, checks the sources' formatting
# (scripts/format.sh --check), builds, and runs the whole test suite; then the same suite again in
# an AddressSanitizer + UndefinedBehaviorSanitizer build (scripts/sanitize.sh), and every libFuzzer
# target for 6 s on its seed corpus (scripts/fuzz.sh).
# GUI tests render in real windows, so ctest runs inside a virtual X server (xvfb-run).
# `scripts/test.sh --quick` stops after the first suite (for a quick check while developing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/format.sh --check
bash scripts/build.sh
echo "test: running every test under Xvfb"
# A clean clone has no timings, and ctest then starts tests in the order they are defined, leaving
# the longest to run alone at the end. tests/ctest_costs.txt (CTestCostData.txt format: name, runs,
# seconds, from a local run of the Release suite) lets it start the longest first; a build that has
# run the suite keeps its own timings.
mkdir -p build/Testing/Temporary
[ -f build/Testing/Temporary/CTestCostData.txt ] || cp tests/ctest_costs.txt build/Testing/Temporary/CTestCostData.txt
(cd build && xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure -j 2)
if [ "${1:-}" = "--quick" ]; then exit 0; fi
bash scripts/sanitize.sh
bash scripts/fuzz.sh
