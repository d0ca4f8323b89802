#!/usr/bin/env bash
# Quick start, first command: installs what is needed, builds, and runs the main job on the sample
# data: plans bilateral GPi electrodes on the colin27 sample (`dbsplan plan`: locate both GPi,
# segment the ventricles, sulci and scalp, search safe frontal trajectories, place the leads) and
# opens the result: the report (report.pdf) and the viewer on the plan (T1, located structures and
# both leads in 3D, the crosshair on the left target).
# Without a display the plan runs under Xvfb and the result stays in out/colin27-plan (plan.json,
# report.pdf, scene.png, labels.nii.gz), summarised on the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
dbsplan=./build/app/dbsplan
out=out/colin27-plan
render=()
[ -n "${DISPLAY:-}" ] || render=(xvfb-run -a -s "-screen 0 1600x1200x24")
echo "run: planning both GPi electrodes on the colin27 sample"
"${render[@]}" $dbsplan plan --sample colin27 --out "$out"
echo "run: plan check: dbsplan plan-info $out/plan.json"
$dbsplan plan-info "$out/plan.json" > /dev/null && echo "run: plan.json is valid"
echo "run: results in $out: plan.json (coordinates in RAS mm), report.pdf, scene.png, labels.nii.gz"
if [ -n "${DISPLAY:-}" ]; then
  command -v xdg-open > /dev/null && xdg-open "$out/report.pdf" > /dev/null 2>&1 &
  exec $dbsplan view --plan "$out/plan.json"
fi
