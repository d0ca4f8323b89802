#!/usr/bin/env bash
# Trajectory-search benchmark and plan check. For the colin27 sample (truth: dbsplan's atlas) and for
# synthetic patients made from Colin27 + dbsplan's atlas (known affine pose, smooth warp of WARP mm,
# bias, contrast change, noise, LPI voxel order at 1 x 1 x 1.2 mm; the truth is the atlas carried the
# same way), runs the planning pipeline once, then repeats each side's trajectory search REPEATS times
# as a user dragging a target would, and prints candidates scored, the median search time against the
# target (>= 10,000 candidates in <= 0.2 s), and the plan's check against the truth: target in the
# true GPi, contacts in the true GPi, smallest distance of the whole lead to the true ventricles,
# entry above and in front of the target.
# usage: bench/plan_bench.sh [OUT_DIR] [SEED...]   (env: WARP=6, REPEATS=20)
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
cases=("colin27|$T/ch2.nii.gz|$atlas")
for s in $seeds; do
  "$build/bench/dbs_bench" synth "$T/ch2.nii.gz" "$atlas" "$out/synthetic$s" --seed "$s" --warp-mm "$warp" >/dev/null
  cases+=("synthetic seed $s|$out/synthetic$s/patient_t1.nii.gz|$out/synthetic$s/patient_labels.nii.gz")
done
status=0
for c in "${cases[@]}"; do
  IFS='|' read -r name image truth <<< "$c"
  file=$out/$(echo "$name" | tr ' ' '_').json
  "$build/bench/dbs_search_bench" "$image" --truth "$truth" --repeats "$repeats" --out "$out/$(echo "$name" | tr ' ' '_')" > "$file" || status=1
done
/usr/bin/python3 - "$out" <<'PY'
import glob, json, sys
print("\n%-18s %-4s %10s %10s %10s %6s %7s %8s %9s %9s %7s %6s %4s" % ("case", "side", "candidates", "median s", "cand/s", "GPi", "in GPi", "vent mm", "sag deg", "lat deg", "len mm", "safe", "ok"))
for f in sorted(glob.glob(sys.argv[1] + "/*.json")):
    j = json.load(open(f))
    for side in "LR":
        s = j[side]
        t = s["truth"]
        print("%-18s %-4s %10d %10.3f %10.0f %6s %4d/%-2d %8.1f %9.1f %9.1f %7.1f %6s %4s" % (
            f.split("/")[-1][:-5], side, s["candidates"], s["seconds_median"], s["candidates_per_second"],
            "yes" if t["target_in_true_gpi"] else "NO", t["contacts_in_true_gpi"], s["contacts_in_gpi"],
            t["true_ventricles_min_mm"], s["sagittal_angle_deg"], s["lateral_angle_deg"], s["length_mm"],
            "yes" if s["safe"] else "NO", "yes" if s["meets_10000_in_0.2_s"] else "NO"))
    print("%-18s pipeline %.1f s (risk structures %.1f s), %d threads" % ("", j["pipeline_seconds"], j["risk_structures_seconds"], j["threads"]))
PY
exit $status
