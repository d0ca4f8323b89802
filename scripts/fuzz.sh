#!/usr/bin/env bash
# Runs each libFuzzer target (fuzz/) on its seed corpus (fuzz/corpus/NAME), with AddressSanitizer
# and UndefinedBehaviorSanitizer; they are built in the clang sanitizer tree (scripts/sanitize.sh).
#   scripts/fuzz.sh                 every target for 6 s (what scripts/test.sh and CI run; CI's 30 min)
#   scripts/fuzz.sh --seconds 120   a longer bounded run
#   scripts/fuzz.sh --runs 1000000  a fixed number of executions per target (the local long run)
#   --timeout S                     seconds one input may take (10; more on a loaded machine)
# A crash, a sanitizer report, a leak, an input slower than 10 s or an exception other than the
# screen's own error fails the script; libFuzzer leaves the input as crash-*/timeout-* in
# build-sanitize/findings/, to be added to tests/ as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time=6)
timeout=10
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) timeout="$2"; shift 2 ;;
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    *) echo "fuzz: unknown option $1" >&2; exit 2 ;;
  esac
done
bash scripts/sanitize.sh --build
out=build-sanitize
mkdir -p $out/findings
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for pair in NiftiHeader:nifti_header NrrdHeader:nrrd_header MetaImageHeader:metaimage_header \
  DicomFile:dicom_file PlanReader:plan_reader; do
  target=${pair%%:*} corpus=${pair##*:}
  work=$out/corpus/$corpus  # what the fuzzer learns goes here, never into the seeds in git
  mkdir -p "$work"
  log=$out/findings/$corpus.log
  if $out/fuzz/Fuzz"$target" "${limit[@]}" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=$out/findings/"$corpus"- "$work" fuzz/corpus/"$corpus" >"$log" 2>&1; then
    runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    seconds=$(grep -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}')
    echo "fuzz: $target: ${runs:-?} executions, ${seconds:-?} per second, no finding"
  else
    status=1
    echo "fuzz: $target FAILED: see $log" >&2
    grep -E -m5 'ERROR|SUMMARY|runtime error|==[0-9]+==|uncaught|abort' "$log" >&2 || tail -20 "$log" >&2
  fi
done
exit $status
