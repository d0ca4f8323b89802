#!/usr/bin/env bash
# Peak memory of `dbsplan plan` against the image's voxel count (issue 26: under 2 GB for every image
# the voxel budget admits). Colin27 (ch2, 1 mm) is resampled to finer isotropic grids, down to the
# issue's 0.3 mm head (603 x 723 x 603 = 263 M voxels, 2^28 is the budget), as int16 NIfTI, and at
# 0.3 mm also as float32 NIfTI and as int16 and float32 NRRD (read whole by ITK, then binned); each is
# planned (--no-figures) in a child process whose peak resident memory (getrusage) and time are
# printed beside the working grid the plan recorded.
# usage: bench/memory_bench.sh [OUT_DIR] [SPACING...]   (default spacings: 1.0 0.7 0.5 0.4 0.3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
cmake --build "$build" --target benchmarks >/dev/null  # the benchmarks are not in the default build
T=${DBSPLAN_MRICRON_DIR:-/usr/share/mricron/templates}
out=${1:-/tmp/dbsplan-memory-bench}; shift || true
spacings=${*:-1.0 0.7 0.5 0.4 0.3}
mkdir -p "$out"
cases=()
for s in $spacings; do
  "$build/bench/dbs_bench" resample "$T/ch2.nii.gz" "$out/ch2_${s}mm_int16.nii.gz" "$s" >/dev/null
  cases+=("$out/ch2_${s}mm_int16.nii.gz")
done
finest=$(printf '%s\n' $spacings | sort -g | head -1)
for variant in "float32 nii.gz" "int16 nrrd" "float32 nrrd"; do
  read -r type ext <<< "$variant"
  f="$out/ch2_${finest}mm_${type}.${ext}"
  [ -f "$f" ] || "$build/bench/dbs_bench" resample "$T/ch2.nii.gz" "$f" "$finest" "$type" >/dev/null
  cases+=("$f")
done
/usr/bin/python3 - "$build/app/dbsplan" "$out" "${cases[@]}" <<'PY'
import json, os, resource, shutil, subprocess, sys, time
dbsplan, out, images = sys.argv[1], sys.argv[2], sys.argv[3:]
print("%-32s %16s %12s %12s %9s %8s %8s %6s" % ("image", "file voxels", "M voxels", "bins", "peak MB", "B/voxel", "seconds", "exit"))
worst = 0
for image in images:
    plan_dir = os.path.join(out, "plan_" + os.path.basename(image).split(".")[0] + "_" + image.rsplit(".", 1)[-1])
    shutil.rmtree(plan_dir, ignore_errors=True)
    # A fresh child per case: RUSAGE_CHILDREN is the largest of the children waited for, so each case
    # runs under its own small Python parent.
    start = time.time()
    code = ("import resource,subprocess,sys;"
            "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
            "sys.stderr.write(r.stderr.decode()[-400:]);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")
    result = subprocess.run([sys.executable, "-c", code, dbsplan, "plan", image, "--out", plan_dir, "--no-figures"],
                            capture_output=True, text=True)
    seconds = time.time() - start
    peak_kb, exit_code = map(int, result.stdout.split())
    size, bins = "?", "-"
    try:
        plan = json.load(open(os.path.join(plan_dir, "plan.json")))
        grid = plan["image"].get("working_grid")
        size = grid["file_size"] if grid else plan["image"]["size"]
        bins = "x".join(map(str, grid["bins"])) if grid else "1x1x1"
    except (OSError, KeyError, ValueError):
        sys.stderr.write(result.stderr)
    voxels = size[0] * size[1] * size[2] if size != "?" else 0
    worst = max(worst, peak_kb)
    print("%-32s %16s %12.1f %12s %9.0f %8.1f %8.1f %6d" % (
        os.path.basename(image), "x".join(map(str, size)) if size != "?" else "?", voxels / 1e6, bins,
        peak_kb / 1024, peak_kb * 1024 / voxels if voxels else 0, seconds, exit_code))
print("largest peak: %.0f MB (bound: 2048 MB)" % (worst / 1024))
sys.exit(0 if worst < 2048 * 1024 else 1)
PY
