#!/usr/bin/env python3
"""Checks the ODR firewall between ISA builds (see localize_isa_object.py):
each localized ISA object defines exactly one global symbol, its entry
point, and the shared library exports nothing from xsimd or Highway. On
x86 it also checks that no kernel touches an MMX register (they alias the
x87 stack; without EMMS a caller's long double math turns into NaN).

usage: check_isa_symbols.py LIBRARY ISA_OBJECT...
"""
import os
import re
import subprocess
import sys


def defined_globals(path, dynamic=False):
    args = ["nm", "--defined-only", "-g"] + (["-D"] if dynamic else []) + [path]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if len(line.split()) >= 3]


def main(argv):
    lib, objs = argv[0], argv[1:]
    bad = []
    for obj in objs:
        isa = re.match(r"rt_kernels_(\w+)\.o", os.path.basename(obj)).group(1)
        syms = defined_globals(obj)
        if syms != [f"rusttorch_kernels_{isa}"]:
            bad.append(f"{obj}: global symbols {syms[:10]}")
        dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", obj], capture_output=True, text=True).stdout
        mmx = [line.strip() for line in dis.splitlines() if re.search(r"%mm[0-7]\b", line)]
        if mmx:
            bad.append(f"{obj}: uses MMX registers, e.g. {mmx[:3]}")
    leaked = [s for s in defined_globals(lib, dynamic=True) if "xsimd" in s or "hwy" in s]
    if leaked:
        bad.append(f"{lib}: exports SIMD-library symbols {leaked[:10]}")
    for b in bad:
        print("FAIL", b)
    print(f"checked {len(objs)} ISA objects and {os.path.basename(lib)}: {'ok' if not bad else 'FAILED'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
