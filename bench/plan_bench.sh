#!/usr/bin/env bash
# Trajectory-search benchmark and plan check. For the colin27 sample (truth: dbsplan's atlas) and for
# synthetic patients made from Colin27 + dbsplan's atlas (known affine pose, smooth warp of WARP mm,
# bias, contrast change, noise, LPI voxel order at 1 x 1 x 1.2 mm; the truth is the atlas carried the
# same way), runs the planning pipeline once, then repeats each side's trajectory search REPEATS times
# as a user dragging a target would, and prints candidates scored, the median search time against the
# target (>= 10,000 candidates in <= 0.2 s), and the plan's check against the truth: target in the
# true GPi, contacts in the true GPi, smallest distance of the whole lead to the true ventricles,
# entry above and in front of the target.
# Atrophied cases (issue 22): ATROPHY_SEEDS="4 5" adds synthetic patients whose lateral ventricles
# are ATROPHY's first number times the template's and whose caudate lost its second (a fraction).
# usage: bench/plan_bench.sh [OUT_DIR] [SEED...]
#        (env: WARP=6, REPEATS=20, ATROPHY_SEEDS="", ATROPHY="2.0 0.3")
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
cmake --build "$build" --target benchmarks >/dev/null  # the benchmarks are not in the default build
T=${DBSPLAN_MRICRON_DIR:-/usr/share/mricron/templates}
atlas=$build/data/atlas/dbs_atlas_mni.nii.gz
out=${1:-/tmp/dbsplan-plan-bench}; shift || true
seeds=${*:-1 2 3}
warp=${WARP:-6}
repeats=${REPEATS:-20}
mkdir -p "$out"
ITK_DATA=${DBSPLAN_ITK_EXAMPLES_DIR:-/usr/share/doc/insighttoolkit5-examples/examples/Data}
cases=("colin27|$T/ch2.nii.gz|$atlas")
# The real coronal T1 (2 x 2 x 3 mm, another person): no truth, so only the trajectory's own checks.
[ -f "$ITK_DATA/KmeansTest_T1UCharRaw.nii.gz" ] && cases+=("patient-coronal|$ITK_DATA/KmeansTest_T1UCharRaw.nii.gz|")
for s in $seeds; do
  "$build/bench/dbs_bench" synth "$T/ch2.nii.gz" "$atlas" "$out/synthetic$s" --seed "$s" --warp-mm "$warp" >/dev/null
  cases+=("synthetic seed $s|$out/synthetic$s/patient_t1.nii.gz|$out/synthetic$s/patient_labels.nii.gz")
done
read -r ventricle_scale caudate_loss <<< "${ATROPHY:-2.0 0.3}"
for s in ${ATROPHY_SEEDS:-}; do
  d=$out/atrophy$s
  "$build/bench/dbs_bench" synth "$T/ch2.nii.gz" "$atlas" "$d" --seed "$s" --warp-mm "$warp" \
    --ventricle-scale "$ventricle_scale" --caudate-loss "$caudate_loss" >/dev/null
  cases+=("atrophy${ventricle_scale}x seed $s|$d/patient_t1.nii.gz|$d/patient_labels.nii.gz")
done
status=0
for c in "${cases[@]}"; do
  IFS='|' read -r name image truth <<< "$c"
  file=$out/$(echo "$name" | tr ' ' '_').json
  truthArgs=()
  [ -n "$truth" ] && truthArgs=(--truth "$truth")
  "$build/bench/dbs_search_bench" "$image" "${truthArgs[@]}" --repeats "$repeats" --out "$out/$(echo "$name" | tr ' ' '_')" > "$file" || status=1
done
/usr/bin/python3 - "$out" <<'PY'
import glob, json, sys
# Per case and side: search speed, the plan against the truth (when there is one), and the chosen
# trajectory as a surgeon reads it (issue 22): angles, how far inside the search window, contacts
# of the 3389 in the pallidum and in the GPi, every margin kept.
print("\n%-22s %-4s %7s %8s %6s %7s %7s %8s %7s %7s %8s %8s %7s %5s %4s" % ("case", "side", "cand", "median s", "GPi",
      "in tPal", "in tGPi", "tvent mm", "sag deg", "lat deg", "win deg", "pallid.", "in GPi", "safe", "fast"))
for f in sorted(glob.glob(sys.argv[1] + "/*.json")):
    j = json.load(open(f))
    for side in "LR":
        s = j[side]
        t = s.get("truth")
        print("%-22s %-4s %7d %8.3f %6s %7s %7s %8s %7.1f %7.1f %8.1f %6d/4 %5d/4 %5s %4s" % (
            f.split("/")[-1][:-5], side, s["candidates"], s["seconds_median"],
            ("yes" if t["target_in_true_gpi"] else "NO") if t else "-",
            ("%d/4" % t["contacts_in_true_pallidum"]) if t else "-",
            ("%d/4" % t["contacts_in_true_gpi"]) if t else "-",
            ("%.1f" % t["true_ventricles_min_mm"]) if t else "-",
            s["sagittal_angle_deg"], s["lateral_angle_deg"], s["window_inside_deg"],
            s["contacts_in_pallidum"], s["contacts_in_gpi"],
            "yes" if s["safe"] else "NO", "yes" if s["meets_10000_in_0.2_s"] else "NO"))
    print("%-22s pipeline %.1f s (risk structures %.1f s), %d threads" % ("", j["pipeline_seconds"], j["risk_structures_seconds"], j["threads"]))
PY
exit $status
