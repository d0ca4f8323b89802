#!/usr/bin/env bash
# Locate benchmark: builds synthetic patients from Colin27 + dbsplan's atlas (known affine pose,
# smooth warp of WARP mm, bias, contrast change, noise, LPI voxel order at 1 x 1 x 1.2 mm), runs
# `dbsplan locate` and, in the same run on the same cases, elastix affine+B-spline (Debian's elastix,
# `scripts/setup.sh --bench`, with the peer parameter files in ../shared/checks) warping the same
# atlas, and prints pallidum (GPi+GPe) Dice and centroid error per side, the Jacobian minimum of
# dbsplan's deformation (must stay positive: no fold),
# and the same for phantom cases (PHANTOM_SEEDS: phantom template -> posed, warped phantoms),
# wall time, peak memory and the time ratio. Optionally also a real scan (REAL=path): left/right GP
# centroids from dbsplan and elastix and their distance.
# Atrophy (ATROPHY="2.0 0.3": lateral ventricles 2.0x the template's, caudate 30% smaller) deforms the
# template's anatomy before pose and warp, as Huntington's disease does.
# usage: bench/locate_vs_elastix.sh [OUT_DIR] [SEED...]
#        (env: WARP=6, ATROPHY="VENTRICLE_SCALE CAUDATE_LOSS", REAL=scan, PHANTOM_SEEDS="1 2", ELASTIX=1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
cmake --build "$build" --target benchmarks >/dev/null  # the benchmarks are not in the default build
T=${DBSPLAN_MRICRON_DIR:-/usr/share/mricron/templates}
checks=$root/../shared/checks
out=${1:-/tmp/dbsplan-bench}; shift || true
seeds=${*:-1 2 3 4 5 6 7 8 9 10}
atlas=$build/data/atlas/dbs_atlas_mni.nii.gz
warp=${WARP:-6}
atrophy=()
if [ -n "${ATROPHY:-}" ]; then read -r vs cl <<< "$ATROPHY"; atrophy=(--ventricle-scale "$vs" --caudate-loss "${cl:-0}"); fi
use_elastix=${ELASTIX:-1}
command -v elastix >/dev/null || use_elastix=0
[ -f "$checks/run_elastix.sh" ] || use_elastix=0
mkdir -p "$out"
rows=()
for s in $seeds; do
  c=$out/case$s
  "$build/bench/dbs_bench" synth "$T/ch2.nii.gz" "$atlas" "$c" --seed "$s" --warp-mm "$warp" "${atrophy[@]}"
  "$build/app/dbsplan" locate "$c/patient_t1.nii.gz" --out "$c/dbsplan" 2> "$c/dbsplan.log"
  wall=$(sed -n 's/^locate: \([0-9.]*\) s wall.*/\1/p' "$c/dbsplan.log")
  mem=$(sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p' "$c/dbsplan.log")
  jac=$(sed -n 's/.*"jacobian_determinant_min": \([-0-9.e]*\).*/\1/p' "$c/dbsplan/locate.json" | cut -c1-5)
  ours=$("$build/bench/dbs_bench" score "$c/dbsplan/labels.nii.gz" "$c/patient_labels.nii.gz" --left 1,3 --right 2,4 --truth-left 1,3 --truth-right 2,4)
  if [ "$use_elastix" = 1 ]; then
    # run_elastix.sh's own scorer expects AAL values; the score below is dbs_bench's.
    bash "$checks/run_elastix.sh" "$c/patient_t1.nii.gz" "$T/ch2.nii.gz" "$atlas" "$c/patient_labels.nii.gz" "$c/elastix" bspline > "$c/elastix.log" 2>&1 || true
    ewall=$(sed -n 's/^elastix bspline registration seconds: \([0-9.]*\).*/\1/p' "$c/elastix.log")
    theirs=$("$build/bench/dbs_bench" score "$c/elastix/labels/result.nii.gz" "$c/patient_labels.nii.gz" --left 1,3 --right 2,4 --truth-left 1,3 --truth-right 2,4)
    ratio=$(echo "scale=2; $wall / $ewall" | bc)
  else
    ewall=-; theirs="L - - R - -"; ratio=-
  fi
  rows+=("$s|$ours|$wall|$mem|$jac|$theirs|$ewall|$ratio")
done
printf '\n%-5s | %-34s | %-17s | %-7s | %-34s | %-9s | %s\n' case "dbsplan GP Dice / centroid err mm" "time s / peak MB" "jac min" "elastix affine+B-spline Dice / err" "elastix s" "time ratio"
worst_dice=1; worst_err=0; worst_jac=10; sum_ours=0; sum_theirs=0
for r in "${rows[@]}"; do
  IFS='|' read -r s ours wall mem jac theirs ewall ratio <<< "$r"
  read -r _ dl cl _ dr cr <<< "$ours"; read -r _ edl ecl _ edr ecr <<< "$theirs"
  printf '%-5s | L %s / %s  R %s / %s | %6s / %6s | %7s | L %s / %s  R %s / %s | %9s | %s\n' "$s" "$dl" "$cl" "$dr" "$cr" "$wall" "$mem" "$jac" "$edl" "$ecl" "$edr" "$ecr" "$ewall" "$ratio"
  worst_dice=$(echo "$dl $dr $worst_dice" | tr ' ' '\n' | sort -g | head -1)
  worst_err=$(echo "$cl $cr $worst_err" | tr ' ' '\n' | sort -g | tail -1)
  worst_jac=$(echo "$jac $worst_jac" | tr ' ' '\n' | sort -g | head -1)
  sum_ours=$(echo "$sum_ours + $wall" | bc); [ "$ewall" != - ] && sum_theirs=$(echo "$sum_theirs + $ewall" | bc)
done
echo "worst side: Dice $worst_dice (need >= 0.92), centroid error $worst_err mm (need <= 0.5), Jacobian min $worst_jac (need > 0)"
[ "$sum_theirs" != 0 ] && echo "total time: dbsplan $sum_ours s, elastix $sum_theirs s, ratio $(echo "scale=3; $sum_ours / $sum_theirs" | bc) (need <= 0.5)"
if [ -n "${PHANTOM_SEEDS:-}" ]; then
  # Phantom cases: the identity-pose phantom (seed 0) is the template and its labels the atlas;
  # patients are phantoms with a random pose (seed), a smooth warp and another voxel order.
  p=$out/phantom
  "$build/app/dbsplan" phantom --out "$p/template" --seed 0 > /dev/null 2>&1
  "$build/bench/dbs_bench" phantom-atlas "$p/template/phantom_truth.json" "$p/template/atlas.json"
  printf '\n%-8s | %-34s | %-17s | %-34s | %-9s | %s\n' phantom "dbsplan GP Dice / centroid err mm" "time s / peak MB" "elastix affine+B-spline Dice / err" "elastix s" "time ratio"
  for s in $PHANTOM_SEEDS; do
    c=$p/case$s
    "$build/app/dbsplan" phantom --out "$c" --seed "$s" --warp-mm "$warp" --orientation LPI --spacing 1,1,1.2 > /dev/null 2>&1
    "$build/app/dbsplan" locate "$c/phantom_t1.nii.gz" --out "$c/dbsplan" --template "$p/template/phantom_t1.nii.gz" \
      --atlas "$p/template/phantom_labels.nii.gz" --atlas-json "$p/template/atlas.json" 2> "$c/dbsplan.log"
    wall=$(sed -n 's/^locate: \([0-9.]*\) s wall.*/\1/p' "$c/dbsplan.log")
    mem=$(sed -n 's/.*peak memory \([0-9.]*\) MB.*/\1/p' "$c/dbsplan.log")
    read -r _ dl cl _ dr cr <<< "$("$build/bench/dbs_bench" score "$c/dbsplan/labels.nii.gz" "$c/phantom_labels.nii.gz" --left 1,3 --right 2,4 --truth-left 1,3 --truth-right 2,4)"
    edl=-; ecl=-; edr=-; ecr=-; ewall=-; ratio=-
    if [ "$use_elastix" = 1 ]; then
      bash "$checks/run_elastix.sh" "$c/phantom_t1.nii.gz" "$p/template/phantom_t1.nii.gz" "$p/template/phantom_labels.nii.gz" \
        "$c/phantom_labels.nii.gz" "$c/elastix" bspline > "$c/elastix.log" 2>&1 || true  # its own scorer expects AAL values
      ewall=$(sed -n 's/^elastix bspline registration seconds: \([0-9.]*\).*/\1/p' "$c/elastix.log")
      read -r _ edl ecl _ edr ecr <<< "$("$build/bench/dbs_bench" score "$c/elastix/labels/result.nii.gz" "$c/phantom_labels.nii.gz" --left 1,3 --right 2,4 --truth-left 1,3 --truth-right 2,4)"
      ratio=$(echo "scale=2; $wall / $ewall" | bc)
    fi
    printf '%-8s | L %s / %s  R %s / %s | %6s / %6s | L %s / %s  R %s / %s | %9s | %s\n' "$s" "$dl" "$cl" "$dr" "$cr" "$wall" "$mem" "$edl" "$ecl" "$edr" "$ecr" "$ewall" "$ratio"
  done
fi
if [ -n "${REAL:-}" ]; then
  c=$out/real
  mkdir -p "$c"
  "$build/app/dbsplan" locate "$REAL" --out "$c/dbsplan" 2> "$c/dbsplan.log"
  echo; echo "real scan $REAL:"; grep -E "^locate:|GPi [LR]" "$c/dbsplan.log"
  if [ "$use_elastix" = 1 ]; then
    bash "$checks/run_elastix.sh" "$REAL" "$T/ch2.nii.gz" "$T/aal.nii.gz" "$c/dbsplan/labels.nii.gz" "$c/elastix" bspline > "$c/elastix.log" 2>&1 || true
    echo "elastix: $(grep seconds "$c/elastix.log")"
    echo "dbsplan GP vs elastix GP on the real scan (Dice, centroid distance mm):"
    "$build/bench/dbs_bench" score "$c/dbsplan/labels.nii.gz" "$c/elastix/labels/result.nii.gz" --left 1,3 --right 2,4 --truth-left 75 --truth-right 76
  fi
fi
