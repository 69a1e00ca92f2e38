#!/usr/bin/env bash
# Sets up, builds and runs every test: scripts/test.sh
#
# It tests up to three builds of rtn (RTN_TEST_CONFIGS chooses, default "native sanitize portable"):
#   native    build/ as scripts/setup.sh makes it (-march=native): every test, C++ and Python
#   sanitize  build-sanitize/ with AddressSanitizer + UndefinedBehaviorSanitizer: the unit and conformance tests
#   portable  build-portable/ with RTN_PORTABLE (x86-64 only): the library for x86-64-v2, its xsimd kernels
#             for the sse4, avx2 and avx512 levels, the best one the CPU runs chosen at run time
#             (docs/isa-levels.md). The unit and conformance tests (which run every level this CPU has: the
#             AVX2 and SSE4 code paths on an AVX-512 machine too) and the check that no instruction above a
#             level is reachable from its kernels.
#   aarch64   optional, not in the default list (over an hour on 2 shared cores): scripts/cross_aarch64.sh,
#             the library and unit tests cross-compiled for ARM64 (xsimd/NEON and STL-only), run under qemu-user
# Exits non-zero if any test of any configuration failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${RTN_BUILD_DIR:-$root/build}
configs=${RTN_TEST_CONFIGS:-native sanitize portable}
status=0

"$root/scripts/setup.sh"

has_config() { [[ " $configs " == *" $1 "* ]]; }

if has_config native; then
  "$root/scripts/setup_python.sh"  # the tensorflow-cpu venv of the Keras exporter tests
  echo "test: native build ($build_dir): every test"
  (cd "$build_dir" && ctest --output-on-failure) || status=1
  # CTest shows a passing test's output only in its log: repeat the exporter tests' pytest summaries.
  echo "pytest summaries (tests/python, from the CTest log):"
  grep -hE '^=+ .* in [0-9.]+s.* =+$' "$build_dir/Testing/Temporary/LastTest.log" || true
fi

# A build of the library and the two C++ test programs only, in its own directory, then those tests (and the
# others matching the optional regular expression $4).
test_variant() {
  local name=$1 dir=$2 flags=$3 more=${4:-}
  echo "test: $name build ($dir): unit and conformance tests${more:+, $more}"
  RTN_SKIP_INSTALL=1 RTN_BUILD_DIR=$dir RTN_BUILD_TARGETS="rtn_unit_tests rtn_conformance_tests" \
    RTN_CMAKE_ARGS="-DRTN_BUILD_TOOLS=OFF -DRTN_BUILD_BENCHMARKS=OFF $flags ${RTN_CMAKE_ARGS:-}" \
    "$root/scripts/setup.sh" || { status=1; return; }
  (cd "$dir" && ctest --output-on-failure -R "^(rtn_(unit|conformance)_tests${more:+|$more})\$") || status=1
}

if has_config sanitize; then
  # libtorch (the oracle) is not instrumented and keeps some memory to the end: leaks are not checked.
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    test_variant sanitize "$root/build-sanitize" "-DRTN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo"
fi

if has_config portable; then
  if [ "$(uname -m)" = x86_64 ]; then
    test_variant portable "$root/build-portable" "-DRTN_PORTABLE=ON" "rtn_isa_levels_check|rtn_unit_tests_isa_limited"
  else
    echo "test: portable build skipped: ISA levels exist on x86-64 only"
  fi
fi

if has_config aarch64; then
  echo "test: aarch64 cross builds (build-aarch64/, build-aarch64-stl/): unit tests under qemu-user"
  "$root/scripts/cross_aarch64.sh" || status=1
fi

[ $status -eq 0 ] && echo "test: every configuration passed ($configs)" || echo "test: FAILED (see above)"
exit $status
