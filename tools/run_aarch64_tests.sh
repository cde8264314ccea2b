#!/usr/bin/env bash
# The C++ test suite on aarch64, from an x86-64 machine: cross-compiles the
# library and the doctest programs with the same meson.build
# (cross/aarch64-linux-gnu.ini) and runs `meson test --suite cpp` under
# qemu-aarch64-static. Every kernel family runs on both aarch64 ISAs (scalar
# and neon: rt_test::for_each_isa), and the RUSTTORCH_ISA override runs
# (scalar, neon, and names that must be refused) come from tests/meson.build.
#
#   1. installs the cross toolchain, the arm64 multiarch libraries and the
#      emulator when missing (apt-get; safe to run again, needs root),
#   2. configures build-aarch64 (once) and builds only what the C++ tests need,
#   3. runs the tests with RUSTTORCH_TEST_QUICK=1 (skips the 10^6-element
#      sizes, which are slow under emulation).
#
# usage: tools/run_aarch64_tests.sh [extra meson test args...]
# env:   BUILD (default build-aarch64), JOBS (default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-aarch64}
JOBS=${JOBS:-$(nproc)}
T0=$SECONDS
lap() { printf 'aarch64: %s done in %ds\n' "$1" $((SECONDS - T_STAGE)); T_STAGE=$SECONDS; }
T_STAGE=$SECONDS

# ---- 1. toolchain, libraries, emulator
NATIVE_PACKAGES=(
  g++-aarch64-linux-gnu         # cross compiler (and aarch64 binutils: objcopy for the ISA firewall)
  binutils-aarch64-linux-gnu
  qemu-user-static              # qemu-aarch64-static: the meson exe_wrapper
  pkg-config doctest-dev        # doctest is header-only (Architecture: all)
)
# (Highway is not used; benchmarks are not built for aarch64.)
ARM64_PACKAGES=(libtbb-dev:arm64 libxsimd-dev:arm64 libhwy-dev:arm64)
missing=()
for p in "${NATIVE_PACKAGES[@]}" "${ARM64_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "aarch64: dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
  fi
  echo "aarch64: apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
lap "install"

# ---- 2. configure and build
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --cross-file cross/aarch64-linux-gnu.ini -Dbench=false -Dtests=true --werror
fi
# Only the targets the cpp suite runs (not the Python extension, which has no
# use without an arm64 Python).
mapfile -t targets < <(meson introspect "$BUILD" --tests | python3 -c '
import json, os, sys
b = os.path.abspath(sys.argv[1])
out = set()
for t in json.load(sys.stdin):
    if "cpp" not in t["suite"] and not any(s.endswith(":cpp") for s in t["suite"]):
        continue
    for p in [t["cmd"][0]] + t["cmd"][1:]:
        p = os.path.abspath(p) if os.path.isabs(p) else p
        if p.startswith(b + os.sep):
            out.add(os.path.relpath(p, b))
print("\n".join(sorted(out)))' "$BUILD")
ninja -C "$BUILD" -j "$JOBS" "${targets[@]}"
lap "build"

# ---- 3. test under emulation
RUSTTORCH_TEST_QUICK=1 meson test -C "$BUILD" --suite cpp --no-rebuild --print-errorlogs \
  --num-processes "$JOBS" "$@" | tee "$BUILD/meson-test.out"
lap "test"
# The NEON object must hold its fused multiply-adds (FMLA/FMLS): the census
# reads the disassembly, so it needs no aarch64 CPU.
python3 tools/check_isa_instructions.py --objdump aarch64-linux-gnu-objdump "$BUILD"/kernels/rt_kernels_*.o \
  | tee "$BUILD/isa-instructions.out"
printf 'aarch64: total %ds\n' $((SECONDS - T0))
