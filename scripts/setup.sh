#!/usr/bin/env bash
# Installs what rtn needs on Debian 12 (idempotent: does nothing when everything is there), then
# configures and builds it into build/ (or $RTN_BUILD_DIR).
#   scripts/setup.sh            install + build
#   RTN_SKIP_INSTALL=1 ...      build only
#   RTN_BUILD_DIR, RTN_JOBS, RTN_CMAKE_ARGS, RTN_BUILD_TARGETS: where, how many jobs, CMake options, which targets
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${RTN_BUILD_DIR:-$root/build}

packages=(
  build-essential cmake
  pkg-config  # the packaging test of rtn.pc (tests/consumer_package)
  libeigen3-dev libxsimd-dev nlohmann-json3-dev libcpuinfo-dev libsndfile1-dev
  libbenchmark-dev libgtest-dev libgmock-dev libtorch-dev
  libopenblas0-serial  # libtorch's BLAS for the libtorch comparisons (reference BLAS would make libtorch look slow)
  python3-torch python3-pytest python3-numpy python3-venv  # the exporter tests (tests/python)
  python3-scipy python3-matplotlib python3-jsonschema chromium  # rtn-report (reports/) and its browser test
  valgrind  # the instruction-count gate (scripts/ci_instructions.sh)
)

install_packages() {
  local missing=()
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && { echo "setup: all Debian packages present"; return; }
  echo "setup: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

[ "${RTN_SKIP_INSTALL:-0}" = 1 ] || install_packages

jobs=${RTN_JOBS:-$(nproc)}
echo "setup: configuring and building in $build_dir ($jobs jobs)"
mkdir -p "$build_dir"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release ${RTN_CMAKE_ARGS:-} > "$build_dir/configure.log" 2>&1 \
  || { cat "$build_dir/configure.log"; exit 1; }
# RTN_BUILD_TARGETS: build only these targets (scripts/test.sh's extra configurations build just the tests).
targets=()
for target in ${RTN_BUILD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$build_dir" -j "$jobs" "${targets[@]}"
