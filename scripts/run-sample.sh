#!/usr/bin/env bash
# Quick start, first command: installs what is needed, builds, and runs the main job on the sample
# data: opens the Colin27 T1 (MNI space) in the viewer. Without a display it renders the same view
# to a PNG under a virtual X server and says where it is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
sample=/usr/share/mricron/templates/ch2better.nii.gz
[ -f "$sample" ] || { echo "run: $sample is missing: install Debian's mricron-data (scripts/setup.sh does)" >&2; exit 1; }
./build/app/dbsplan info "$sample"
if [ -n "${DISPLAY:-}" ]; then
  echo "run: opening $sample in the viewer"
  exec ./build/app/dbsplan view "$sample"
fi
mkdir -p out
echo "run: no display: rendering the viewer off-screen"
xvfb-run -a -s "-screen 0 1600x1200x24" ./build/app/dbsplan view "$sample" --screenshot out/colin27.png --size 1400x1000
