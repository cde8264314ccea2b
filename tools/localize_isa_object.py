#!/usr/bin/env python3
"""Merge one ISA's kernel objects into a single relocatable object and make
every symbol local except the ISA's entry point.

Why: inline functions and template instantiations (xsimd helpers,
std::numeric_limits, our own kernels) are emitted as weak COMDAT symbols in
each ISA's objects; the linker keeps one copy for the whole library, which may
be the AVX-512 one, called from the SSE path. After this step each ISA keeps
private copies and only `rusttorch_kernels_<isa>` is visible.

usage: localize_isa_object.py --objcopy OBJCOPY --keep SYMBOL --output OUT.o
                               --linker CXX [ARGS...] -- OBJ...
"""
import subprocess
import sys
import tempfile
import os


def main(argv):
    objcopy = keep = output = None
    linker = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--objcopy":
            objcopy = argv[i + 1]; i += 2
        elif a == "--keep":
            keep = argv[i + 1]; i += 2
        elif a == "--output":
            output = argv[i + 1]; i += 2
        elif a == "--linker":
            j = argv.index("--", i)
            linker = argv[i + 1:j]
            objs = argv[j + 1:]
            break
        else:
            sys.exit(f"localize_isa_object.py: unexpected argument {a}")
    if not (objcopy and keep and output and linker and objs):
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        merged = os.path.join(tmp, "merged.o")
        # -r: relocatable link; COMDAT duplicates inside one ISA fold here.
        subprocess.run(linker + ["-r", "-nostdlib", "-o", merged] + objs, check=True)
        # Dropping the section groups stops the final link from folding our
        # copies with another ISA's; -G makes everything else local.
        subprocess.run([objcopy, "--remove-section=.group", f"--keep-global-symbol={keep}", merged, output],
                       check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
