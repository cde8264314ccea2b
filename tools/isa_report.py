#!/usr/bin/env python3
"""Which ISA paths the test command ran natively on this CPU, which under
emulation, and which it only compiled (checked by the instruction census
alone). Printed at the end of tools/run_tests.sh, so that a green run on a
CPU without AVX-512 does not pass for a run of the avx512 kernels.

usage: isa_report.py BUILD_DIR [--emulated ISA:WHERE ...]
"""
import argparse
import os
import platform
import re
import subprocess
import sys


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            return m.group(1).strip() if m else platform.processor()
    except OSError:
        return platform.processor()


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--emulated", action="append", default=[], help="ISA:where, e.g. sse42:qemu Nehalem")
    args = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=os.path.join(args.build, "python"))
    env.pop("RUSTTORCH_ISA", None)
    code = ("import rusttorch.backends.cpu as c; print(','.join(c.get_compiled_cpu_capabilities())); "
            "print(','.join(c.get_available_cpu_capabilities()))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    compiled, native = (line.split(",") for line in out.stdout.split())
    emulated = {}
    for e in args.emulated:
        isa, where = e.split(":", 1)
        emulated.setdefault(isa, []).append(where)
    names = {"sse42": "SSE4.2", "avx2": "AVX2+FMA", "avx512": "AVX-512", "neon": "NEON"}
    print(f"ISA paths on this CPU ({cpu_model()}):")
    for isa in compiled + [i for i in emulated if i not in compiled]:
        how = []
        if isa in native:
            how.append("ran natively")
        if isa in emulated:
            how.append("ran under " + ", ".join(emulated[isa]))
        if not how:
            how.append(f"compiled, not run: this CPU has no {names.get(isa, isa)} "
                       "(only the instruction census checked it)")
        print(f"  {isa}: {'; '.join(how)}")


if __name__ == "__main__":
    main(sys.argv[1:])
