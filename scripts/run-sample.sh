#!/usr/bin/env bash
# Quick start, first command: installs what is needed, builds, and runs the main job on the sample
# data: finds both GPi in the phantom sample (dbsplan locate) and opens the Colin27 sample with its
# GPi/GPe atlas in the viewer. Without a display it renders the viewer to out/colin27.png under a
# virtual X server and says where it is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
dbsplan=./build/app/dbsplan
$dbsplan sample list
phantom=$($dbsplan sample path phantom)
echo "run: locating both GPi in the phantom sample ($phantom)"
$dbsplan locate "$phantom" --out out/phantom-locate
if [ -n "${DISPLAY:-}" ]; then
  echo "run: opening the colin27 sample with its atlas in the viewer"
  exec $dbsplan view --sample colin27
fi
mkdir -p out
echo "run: no display: rendering the viewer off-screen"
xvfb-run -a -s "-screen 0 1600x1200x24" $dbsplan view --sample colin27 --screenshot out/colin27.png --size 1400x1000
