#!/usr/bin/env bash
# Runs every C++ test program on CPUs this machine is not: QEMU's Nehalem
# (SSE4.2, no AVX) and Haswell (AVX2, no AVX-512). Any instruction compiled
# for a higher ISA that leaks into a lower path dies here with SIGILL.
# RUSTTORCH_TEST_QUICK trims the largest sizes (emulation is ~30x slower);
# every test case still runs on every ISA the emulated CPU has.
set -euo pipefail
BUILD=${1:?usage: run_emulated_tests.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)  # absolute: the programs run from inside it
QEMU=$(command -v qemu-x86_64-static || true)
if [ -z "$QEMU" ]; then echo "qemu-x86_64-static not installed"; exit 1; fi
export LD_LIBRARY_PATH="$BUILD/engine"
export RUSTTORCH_TEST_QUICK=1
# One emulated CPU per core: the two runs are independent.
run_cpu() {
  local cpu=$1 status=0 t name start
  case $cpu in Nehalem) export RT_EXPECT_BEST=sse42 ;; Haswell) export RT_EXPECT_BEST=avx2 ;; esac
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    name=$(basename "$t")
    start=$(date +%s)
    if (cd "$BUILD/tests" && "$QEMU" -cpu "$cpu" "$t" --no-version=true > "/tmp/qemu-$cpu-$name.log" 2>&1); then
      echo "qemu -cpu $cpu $name: ok ($(( $(date +%s) - start ))s)"
    else
      echo "qemu -cpu $cpu $name: FAILED"; tail -30 "/tmp/qemu-$cpu-$name.log"; status=1
    fi
  done
  return $status
}
run_cpu Nehalem > /tmp/qemu-Nehalem.out 2>&1 & nehalem=$!
run_cpu Haswell > /tmp/qemu-Haswell.out 2>&1 & haswell=$!
status=0
wait $nehalem || status=1
wait $haswell || status=1
cat /tmp/qemu-Nehalem.out /tmp/qemu-Haswell.out
exit $status
