#!/usr/bin/env bash
# Configures and builds dbsplan (Release) into ./build. Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
echo "build: configuring (Release) in ./build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
echo "build: compiling with $jobs jobs"
cmake --build build -j "$jobs"
