#!/usr/bin/env bash
# Every rusttorch test, from a fresh clone on a fresh machine:
#   1. installs what it needs (tools/setup.sh),
#   2. builds with warnings as errors and runs `meson test` (C++ doctest
#      suites on every ISA this CPU has, the ISA symbol check, the RUSTTORCH_ISA
#      override runs, the pytest suite against torch),
#   3. builds a C++ consumer against the *installed* library (pkg-config),
#   4. reruns the C++ test programs on emulated CPUs (QEMU Nehalem: no AVX;
#      Haswell: AVX2 without AVX-512) to catch any instruction leaking across ISAs,
#   5. builds and runs the C++ tests under AddressSanitizer + UBSan,
#   6. cross-builds for aarch64 and runs the C++ tests under qemu-aarch64-static
#      (NEON and scalar paths; tools/run_aarch64_tests.sh).
# Set RUSTTORCH_SKIP=qemu,asan,aarch64 to skip stages while iterating locally.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SKIP=${RUSTTORCH_SKIP:-}
JOBS=${JOBS:-$(nproc)}
# Each stage heading also prints how long the previous stage took.
T_STEP=$SECONDS
step() { printf '(%ds)\n\n=== %s\n' $((SECONDS - T_STEP)) "$*"; T_STEP=$SECONDS; }
PASSED=0
EMULATED=()  # --emulated ISA:where for the closing ISA report
# Adds the "Ok:" count of a meson test run (its output in $1) to PASSED.
count_ok() { local n; n=$(grep -E '^Ok:' "$1" | tail -1 | awk '{print $2}'); PASSED=$((PASSED + ${n:-0})); }

step "setup"
bash tools/setup.sh

step "build (warnings are errors)"
if [ ! -d build-ci ]; then
  meson setup build-ci --werror --prefix="$ROOT/build-ci/prefix" --libdir=lib
fi
ninja -C build-ci -j "$JOBS"

step "meson test"
meson test -C build-ci --print-errorlogs --num-processes 1 | tee build-ci/meson-test.out
count_ok build-ci/meson-test.out

step "installed library: pkg-config consumer"
bash tests/consumer/check_installed.sh build-ci
PASSED=$((PASSED + 1))

if [[ ",$SKIP," != *",qemu,"* ]]; then
  step "C++ tests on emulated CPUs (qemu-x86_64-static)"
  bash tools/run_emulated_tests.sh build-ci | tee build-ci/emulated.out
  PASSED=$((PASSED + $(grep -c ': ok' build-ci/emulated.out)))
  EMULATED+=(--emulated "scalar:qemu Nehalem and Haswell" --emulated "sse42:qemu Nehalem and Haswell"
             --emulated "avx2:qemu Haswell")
fi

if [[ ",$SKIP," != *",asan,"* ]]; then
  # (-O1, no debug info, no AVX-512 folder: the instrumented template-heavy
  # kernels are slow to compile; the main build covers AVX-512.)
  step "address + undefined sanitizer build"
  if [ ! -d build-asan ]; then
    meson setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbuildtype=plain -Doptimization=1 -Dbench=false -Disas=sse42,avx2
  fi
  ninja -C build-asan -j "$JOBS"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    RUSTTORCH_TEST_QUICK=1 meson test -C build-asan --suite cpp --print-errorlogs --num-processes 1 \
    | tee build-asan/meson-test.out
  count_ok build-asan/meson-test.out
fi

if [[ ",$SKIP," != *",aarch64,"* ]]; then
  step "aarch64 cross build, C++ tests under qemu-aarch64-static"
  bash tools/run_aarch64_tests.sh
  count_ok build-aarch64/meson-test.out
  PASSED=$((PASSED + 1))  # the NEON instruction census (the script fails on a miss)
  EMULATED+=(--emulated "scalar:qemu-aarch64" --emulated "neon:qemu-aarch64")
fi

step "all tests passed"
python3 tools/isa_report.py build-ci "${EMULATED[@]}"
echo "$PASSED passed, 0 failed (total ${SECONDS}s)"
