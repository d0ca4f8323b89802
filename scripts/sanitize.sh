#!/usr/bin/env bash
# Builds dbsplan with clang, AddressSanitizer and UndefinedBehaviorSanitizer (-DDBS_SANITIZE=ON)
# into ./build-sanitize and runs there what the sanitizers can find bugs in at a cost CI affords
# (issue 20): every unit test (imaging, generators, atlas, planning and its plan session, the include
# graph), every command-line test that needs no display, and one GUI smoke test driven through the
# menus (open the sample, plan, cancel). The pipeline tests (label pipeline: whole registrations,
# 3-5 min each under ASan) and the other GUI tests run in the Release suite only; the CLI tests
# still run the registration, the search and the plan reader under the sanitizers. Any sanitizer
# report aborts the process it happens in, so the test that ran it fails. Leaks are checked too;
# tests/sanitizers/lsan.supp lists the leaks of system libraries we cannot fix. The same tree
# holds the libFuzzer targets (scripts/fuzz.sh). Assumes scripts/setup.sh has run.
#   scripts/sanitize.sh            build, then run the suite
#   scripts/sanitize.sh --build    build only (scripts/fuzz.sh calls this)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
echo "sanitize: configuring the clang ASan + UBSan build in ./build-sanitize"
# -O1: what the sanitizers are meant for (fast to compile, readable reports).
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DDBS_SANITIZE=ON >/dev/null
echo "sanitize: compiling the tests, what they run and the fuzz targets with $jobs jobs"
# Not the benchmarks: they are measured in the Release build.
cmake --build build-sanitize -j "$jobs" --target dbs_imaging_tests dbs_generators_tests dbs_atlas_tests \
  dbs_planning_tests dbs_cli_tests dbs_gui_smoke_tests dbs_architecture_tests dbsplan dbs_atlas fuzzers
if [ "${1:-}" = "--build" ]; then exit 0; fi
# (Not strict_string_checks: it reports libxkbcommon's correct strndup of an unterminated buffer.)
# allocator_release_to_os_interval_ms=-1: ASan otherwise hands freed pages back to the kernel every
# few seconds, and ITK's distance maps (two small buffers per image line, a map per dilation) fault
# them in again: a million page faults in one phantom plan, 33 -> 24.5 s. Only memory is kept; every
# check and the quarantine that catches use-after-free are unchanged.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_release_to_os_interval_ms=-1
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "sanitize: running the unit and command-line tests and a GUI smoke test under ASan + UBSan"
cd build-sanitize
# As scripts/test.sh does for the Release suite: on a clean clone, start the longest tests first
# (tests/ctest_costs_sanitize.txt: their times in this build, from a CI run).
mkdir -p Testing/Temporary
[ -f Testing/Temporary/CTestCostData.txt ] || cp ../tests/ctest_costs_sanitize.txt Testing/Temporary/CTestCostData.txt
xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure -j 2 -L 'unit|cli|smoke'
