#!/usr/bin/env python3
"""Instruction census of the localized ISA objects: each must contain the
instructions its ISA is built for, and none of a higher one. It needs no CPU
with the ISA: it reads the disassembly, so an AVX-512 path compiled on a
machine without AVX-512 is still checked (xsimd 8.1 once compiled every
fma/fms/fnma of the avx512 path as a separate multiply and add, two roundings,
and no test run on an AVX2 machine could see it).

  avx512: fused multiply-adds on zmm registers (vfmadd/vfmsub/vfnmadd/vfnmsub);
  avx2:   fused multiply-adds on ymm registers, no zmm, no EVEX-only registers;
  sse42, scalar (x86): no VEX/EVEX instruction at all (nothing starting with
          'v', no ymm/zmm register): they must run on a CPU without AVX;
  neon:   fused FMLA/FMLS on vector registers (v0-v31 with an arrangement).

usage: check_isa_instructions.py [--objdump PROG] ISA_OBJECT...
"""
import argparse
import os
import re
import subprocess
import sys

# At least this many fused instructions: a kernel library that fuses only by
# accident (a handful of sites) has lost its fma somewhere.
MIN_FUSED = 200

X86_FMA = re.compile(r"^vf(n?)m(add|sub)(132|213|231)?[ps][sd]$")
AARCH64_FMA = re.compile(r"^f(mla|mls)$")


def disassemble(objdump, path):
    """The object's architecture ('x86' or 'aarch64') and its disassembly."""
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", path], check=True, capture_output=True,
                         text=True).stdout
    fmt = re.search(r"file format (\S+)", out)
    return ("aarch64" if fmt and "aarch64" in fmt.group(1) else "x86"), out


def instructions(out):
    """(mnemonic, operands) of every instruction in a disassembly."""
    for line in out.splitlines():
        parts = line.split("\t")
        # "  401000:\tvfmadd231ps %zmm1,%zmm2,%zmm3" (x86) / "  10:\tfmla\tv0.4s, v1.4s, v2.4s" (aarch64)
        if len(parts) < 2 or not parts[0].strip().endswith(":"):
            continue
        insn = " ".join(p for p in parts[1:] if p).strip()
        if not insn or insn.startswith("(bad)"):
            continue
        fields = insn.split(None, 1)
        yield fields[0], fields[1] if len(fields) > 1 else ""


def census(objdump, path, isa):
    """Problems found in one ISA object (empty: ok) and a one-line summary."""
    arch, out = disassemble(objdump, path)
    fused = fused_zmm = fused_ymm = avx = zmm = evex_regs = 0
    for mnem, ops in instructions(out):
        if arch == "aarch64":
            if AARCH64_FMA.match(mnem) and re.search(r"\bv\d+\.\d*[sd]\b", ops):
                fused += 1
            continue
        if X86_FMA.match(mnem):
            fused += 1
            fused_zmm += "%zmm" in ops
            fused_ymm += "%ymm" in ops
        if mnem.startswith("v") or "%ymm" in ops or "%zmm" in ops:
            avx += 1
        zmm += "%zmm" in ops
        evex_regs += bool(re.search(r"%[xy]mm(1[6-9]|2\d|3[01])\b|%k[0-7]\b", ops))
    bad = []
    if isa == "avx512":
        if fused_zmm < MIN_FUSED:
            bad.append(f"{fused_zmm} fused multiply-adds on zmm registers (want >= {MIN_FUSED})")
    elif isa == "avx2":
        if fused_ymm < MIN_FUSED:
            bad.append(f"{fused_ymm} fused multiply-adds on ymm registers (want >= {MIN_FUSED})")
        if zmm or evex_regs:
            bad.append(f"{zmm} instructions on zmm and {evex_regs} on EVEX-only registers (AVX-512)")
    elif isa == "neon":
        if fused < MIN_FUSED:
            bad.append(f"{fused} vector FMLA/FMLS (want >= {MIN_FUSED})")
    elif isa in ("sse42", "scalar") and arch == "x86":
        if avx:
            bad.append(f"{avx} AVX instructions (VEX/EVEX) in a path that must run without AVX")
    summary = f"{isa}: {fused} fused multiply-adds" + (
        f" ({fused_zmm} zmm, {fused_ymm} ymm), {avx} AVX instructions" if arch == "x86" else "")
    return bad, summary


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--objdump", default="objdump")
    ap.add_argument("objects", nargs="+")
    args = ap.parse_args(argv)
    failed = False
    for obj in args.objects:
        isa = re.match(r"rt_kernels_(\w+)\.o", os.path.basename(obj)).group(1)
        bad, summary = census(args.objdump, obj, isa)
        print(("FAIL " if bad else "ok   ") + summary)
        for b in bad:
            print(f"FAIL {obj}: {b}")
        failed |= bool(bad)
    print(f"instruction census of {len(args.objects)} ISA objects: {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
