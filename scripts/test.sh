#!/usr/bin/env bash
# Quick start, second command: installs what is needed, builds, and runs the whole test suite.
# GUI tests render in real windows, so ctest runs inside a virtual X server (xvfb-run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
echo "test: running every test under Xvfb"
cd build
xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure -j 2
