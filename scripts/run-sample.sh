#!/usr/bin/env bash
# Quick start, first command: installs what is needed, builds, and runs the main job on the sample
# data: finds both GPi in a real patient T1 (the patient-coronal sample: another person than the
# template, acquired coronally at 2 x 2 x 3 mm) and shows the result in the viewer: the located
# GPi, GPe, putamen, thalamus and ventricles over the patient's own image, the crosshair on the
# left GPi target. Without a display it renders the viewer to out/patient-gpi.png and says where.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
dbsplan=./build/app/dbsplan
$dbsplan sample list
patient=$($dbsplan sample path patient-coronal)
echo "run: locating both GPi in $patient"
$dbsplan locate "$patient" --out out/patient-locate
echo "run: results in out/patient-locate (labels.nii.gz, locate.json with targets in RAS mm)"
if [ -n "${DISPLAY:-}" ]; then
  exec $dbsplan view "$patient" --labels out/patient-locate/labels.nii.gz
fi
mkdir -p out
echo "run: no display: rendering the viewer off-screen"
xvfb-run -a -s "-screen 0 1600x1200x24" $dbsplan view "$patient" --labels out/patient-locate/labels.nii.gz \
  --screenshot out/patient-gpi.png --size 1400x1000
