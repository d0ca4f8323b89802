#!/usr/bin/env bash
# Installs every Debian 12 package that dbsplan's build, tests and sample data need.
# Idempotent: packages already present are skipped by apt. Runs as root, or through sudo.
# `scripts/setup.sh --bench` also installs the peers the benchmarks measure against (elastix, and
# nibabel for the peer harnesses in ../shared/checks); CI does not need them.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format
  # ITK 5.2 (imaging/), with GDCM for DICOM series
  libinsighttoolkit5-dev libfftw3-dev
  # VTK 9.1 (rendering); its CMake package references MPI and several optional deps
  libvtk9-dev
  # Qt 6.4 widgets and OpenGL widgets (app/)
  qt6-base-dev libqt6opengl6-dev libgl-dev
  # tests: GoogleTest, a virtual X server, fonts for labels rendered under Xvfb
  googletest libgtest-dev libgmock-dev xvfb xauth fonts-dejavu-core
  # sample data: Colin27 T1 and the AAL atlas in MNI space
  mricron-data
  # a real coronal, anisotropic T1 of another person (ITK example data) for the locate benchmark
  insighttoolkit5-examples
  # JSON for plan documents and machine-readable CLI output; the tests validate every plan they
  # write against planning/schema/plan.schema.json with the standard validator
  nlohmann-json3-dev zlib1g-dev python3-jsonschema
  # command-line parsing (per-subcommand --help, typed options, errors that name the option)
  libcli11-dev
  # SHA-256 checksums of the planned image in plan files (OpenSSL's libcrypto)
  libssl-dev
  # dciodvfy (David Clunie's DICOM validator): the tests check every DICOM file dbsplan exports
  dicom3tools
  # the ASan + UBSan build of the suite (scripts/sanitize.sh) and the fuzz targets (scripts/fuzz.sh):
  # clang with libFuzzer and its sanitizer runtimes
  clang libclang-rt-14-dev
  # LLVM's linker, for both builds (CMakeLists.txt): GNU ld took 5.5 s per test executable, lld 0.65 s
  lld
)
if [ "${1:-}" = "--bench" ]; then PACKAGES+=(elastix python3-nibabel bc); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: not root and no sudo: install these packages yourself: ${PACKAGES[*]}" >&2
    exit 1
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} Debian packages already installed"
  exit 0
fi
echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
