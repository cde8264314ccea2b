"""CPU backend information, as torch.backends.cpu."""
from __future__ import annotations

from typing import List

from .. import _C


def get_cpu_capability() -> str:
    """The ISA whose kernels run: "scalar", "sse42", "avx2", "avx512" or "neon".

    Chosen once from the CPU (cpuid + xgetbv), or forced by the RUSTTORCH_ISA
    environment variable (an unknown or unsupported name is an error)."""
    return _C._get_cpu_capability()


def get_available_cpu_capabilities() -> List[str]:
    """Every ISA this build has kernels for and this CPU can run, best last."""
    return list(_C._available_cpu_capabilities())


def get_compiled_cpu_capabilities() -> List[str]:
    """Every ISA compiled into this build for this architecture."""
    return list(_C._compiled_cpu_capabilities())


def set_cpu_capability(name: str) -> None:
    """Switches the kernels at run time (tests, benchmarks); raises RuntimeError
    for an unknown name or one this CPU lacks."""
    _C._set_cpu_capability(name)


__all__ = ["get_cpu_capability", "get_available_cpu_capabilities", "get_compiled_cpu_capabilities",
           "set_cpu_capability"]
