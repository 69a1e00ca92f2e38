#!/usr/bin/env bash
# Cross-compiles rtn and its unit tests for 64-bit ARM (aarch64, NEON) and runs them under qemu-user:
#   scripts/cross_aarch64.sh
# Two builds, each of the library and rtn_unit_tests (the conformance tests need libtorch, the oracle, which
# is x86-only here; the unit tests check against stored reference outputs: NAM's renders, TensorFlow's):
#   xsimd  build-aarch64/      every backend: STL, Eigen, xsimd (NEON)
#   stl    build-aarch64-stl/  the STL backend alone (no Eigen, no xsimd): what an embedded target builds
# Idempotent: installs what is missing with apt-get (Debian multiarch: the arm64 builds of GoogleTest and
# xsimd beside the host's), then builds only what changed. Exits non-zero if a build or a test failed.
#   RTN_SKIP_INSTALL=1   build and test only
#   RTN_JOBS             parallel build jobs (default: nproc)
#   RTN_CROSS_CONFIGS    which builds (default "xsimd stl")
#   GTEST_FILTER         which unit tests (default: all but the fast-math sweeps over the floats, which take
#                        minutes each under emulation; GTEST_FILTER='*' runs them too)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
configs=${RTN_CROSS_CONFIGS:-xsimd stl}
jobs=${RTN_JOBS:-$(nproc)}
triple=aarch64-linux-gnu

host_packages=(cmake g++-aarch64-linux-gnu qemu-user libeigen3-dev nlohmann-json3-dev)
target_packages=(libgtest-dev:arm64 libgmock-dev:arm64 libxsimd-dev:arm64)

install_packages() {
  local sudo="" missing=()
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "cross_aarch64: adding the arm64 architecture to dpkg"
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq
  fi
  for package in "${host_packages[@]}" "${target_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && { echo "cross_aarch64: all Debian packages present"; return; }
  echo "cross_aarch64: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

[ "${RTN_SKIP_INSTALL:-0}" = 1 ] || install_packages

# Statically linked: under Debian 12's qemu-user (7.2) a dynamically linked aarch64 program hangs in its first
# std::thread (the unit tests start one), a static one does not. So no cpuinfo either (Debian ships no static
# arm64 libcpuinfo, and libcpuinfo-dev:arm64 cannot be installed beside the host's): the engine reads
# /proc/cpuinfo instead, which under qemu-user is the host's. The unit tests replace malloc and free (to count
# allocations); libc.a defines them too, beside functions the program needs: the program's own, linked
# first, stay, as they would in a dynamic link.
static_args=("-DCMAKE_EXE_LINKER_FLAGS=-static -Wl,--allow-multiple-definition" -DRTN_WITH_CPUINFO=OFF)
# qemu runs the sweeps over millions of floats some 50 times slower than the CPU would (about 4 minutes each);
# the other fast-math tests (special values, batch against float bits at every lane) still run.
export GTEST_FILTER=${GTEST_FILTER:-'-FastMath.*OverTheFloats:FastMath.TanhIsNonDecreasingOddAndBounded:FastMath.*RelativeError'}
status=0
summary=()
# Configures and builds one configuration into its directory, then runs the unit tests under qemu
# (CMAKE_CROSSCOMPILING_EMULATOR, set by the toolchain file).
cross_build_and_test() {
  local name=$1 dir=$2
  shift 2
  local start=$SECONDS
  echo "cross_aarch64: $name build ($dir)"
  mkdir -p "$dir"
  if ! cmake -S "$root" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-aarch64.cmake" \
      -DCMAKE_BUILD_TYPE=Release -DRTN_NATIVE=OFF -DRTN_BUILD_TOOLS=OFF -DRTN_BUILD_BENCHMARKS=OFF \
      -DRTN_BUILD_CONFORMANCE_TESTS=OFF -DRTN_INSTALL=OFF "${static_args[@]}" "$@" > "$dir/configure.log" 2>&1; then
    cat "$dir/configure.log"
    summary+=("$name: configure FAILED")
    status=1
    return
  fi
  if ! cmake --build "$dir" -j "$jobs" --target rtn_unit_tests; then
    summary+=("$name: build FAILED")
    status=1
    return
  fi
  local built=$SECONDS
  local result=passed
  (cd "$dir" && ctest --output-on-failure -R '^rtn_unit_tests$') || { result=FAILED; status=1; }
  # gtest's own count, from the CTest log (ctest shows a passing program's output only there).
  local count
  count=$(grep -hE '^\[  (PASSED|FAILED) +\]' "$dir/Testing/Temporary/LastTest.log" | head -2 | tr '\n' ' ')
  summary+=("$name: unit tests $result under qemu ($count) build $((built - start)) s, tests $((SECONDS - built)) s")
}

for config in $configs; do
  case $config in
    xsimd) cross_build_and_test xsimd "$root/build-aarch64" ;;
    stl) cross_build_and_test stl "$root/build-aarch64-stl" -DRTN_WITH_EIGEN=OFF -DRTN_WITH_XSIMD=OFF ;;
    *) echo "cross_aarch64: unknown configuration '$config' (known: xsimd stl)"; status=1 ;;
  esac
done

echo "cross_aarch64 summary (aarch64, $(qemu-aarch64 --version | head -1), GTEST_FILTER=$GTEST_FILTER):"
for line in "${summary[@]}"; do echo "  $line"; done
[ $status -eq 0 ] && echo "cross_aarch64: every configuration passed ($configs)" || echo "cross_aarch64: FAILED"
exit $status
