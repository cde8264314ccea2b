#!/usr/bin/env bash
# Runs every C++ test program on CPUs this machine is not: QEMU's Nehalem
# (SSE4.2, no AVX) and Haswell (AVX2, no AVX-512). Any instruction compiled
# for a higher ISA that leaks into a lower path dies here with SIGILL.
# RUSTTORCH_TEST_QUICK skips the 10^6-element sizes (emulation is ~30x slower).
set -euo pipefail
BUILD=${1:?usage: run_emulated_tests.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)  # absolute: the programs run from inside it
QEMU=$(command -v qemu-x86_64-static || true)
if [ -z "$QEMU" ]; then echo "qemu-x86_64-static not installed"; exit 1; fi
export LD_LIBRARY_PATH="$BUILD/engine"
export RUSTTORCH_TEST_QUICK=1
status=0
for cpu in Nehalem Haswell; do
  case $cpu in Nehalem) export RT_EXPECT_BEST=sse42 ;; Haswell) export RT_EXPECT_BEST=avx2 ;; esac
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    name=$(basename "$t")
    start=$(date +%s)
    # Under emulation (~30x slower) the largest cases are left to the native
    # run; every kernel family still runs on every ISA the emulated CPU has.
    case $name in
      test_matmul) exclude='*1000+*,*addmm*,*transposed, sliced*,*every size combination*' ;;
      test_reduction) exclude='*same bits with 1, 2 and 7 threads*' ;;
      *) exclude='' ;;
    esac
    if (cd "$BUILD/tests" && "$QEMU" -cpu "$cpu" "$t" --no-version=true --test-case-exclude="$exclude" > "/tmp/qemu-$cpu-$name.log" 2>&1); then
      echo "qemu -cpu $cpu $name: ok ($(( $(date +%s) - start ))s, best ISA: $(grep -m1 -o 'isa = [a-z0-9]*' /tmp/qemu-$cpu-$name.log | tail -1 || true))"
    else
      echo "qemu -cpu $cpu $name: FAILED"; tail -30 "/tmp/qemu-$cpu-$name.log"; status=1
    fi
  done
done
exit $status
