"""rusttorch.backends.cpu: the ISA in use, and switching it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import rusttorch as rt


def test_cpu_capability():
    cap = rt.backends.cpu.get_cpu_capability()
    assert cap in ("scalar", "sse42", "avx2", "avx512", "neon")
    avail = rt.backends.cpu.get_available_cpu_capabilities()
    assert cap in avail and "scalar" in avail
    assert set(avail) <= set(rt.backends.cpu.get_compiled_cpu_capabilities())


def test_every_available_isa_gives_the_same_results():
    cap = rt.backends.cpu.get_cpu_capability()
    x = rt.arange(-50, 50, dtype=rt.float32) / 7
    results = {}
    try:
        for isa in rt.backends.cpu.get_available_cpu_capabilities():
            rt.backends.cpu.set_cpu_capability(isa)
            assert rt.backends.cpu.get_cpu_capability() == isa
            results[isa] = ((x + 1) * x - x / 3).tolist(), (x > 0).tolist(), (rt.ones(16) + rt.ones(16)).tolist()
    finally:
        rt.backends.cpu.set_cpu_capability(cap)
    first = next(iter(results.values()))
    assert all(r == first for r in results.values())
    with pytest.raises(RuntimeError):
        rt.backends.cpu.set_cpu_capability("not-an-isa")


def test_forced_isa_through_environment():
    env = dict(os.environ, RUSTTORCH_ISA="scalar")
    r = subprocess.run([sys.executable, "-c", "import rusttorch as rt; print(rt.backends.cpu.get_cpu_capability());"
                        "print((rt.ones(3) + 1).tolist())"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() [0] == "scalar"
    env["RUSTTORCH_ISA"] = "bogus"
    r = subprocess.run([sys.executable, "-c", "import rusttorch as rt\ntry:\n    rt.ones(3) + 1\nexcept RuntimeError:\n"
                        "    print('raised')"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and "raised" in r.stdout, r.stdout + r.stderr
