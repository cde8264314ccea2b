#!/usr/bin/env bash
# Installs everything rusttorch needs on a fresh Debian 12 machine: the C++
# libraries from Debian, the Python build and test tools from PyPI. Safe to
# run again (skips what is already there). Needs root for apt-get.
set -euo pipefail

APT_PACKAGES=(
  build-essential pkg-config
  libtbb-dev        # oneTBB: the thread pool and the small-block allocator
  libxsimd-dev      # xsimd: the per-ISA kernel language (batch<T, Arch>)
  libhwy-dev        # Highway: VQSort (sort, argsort, topk, unique)
  doctest-dev       # C++ tests
  libbenchmark-dev  # Google Benchmark
  qemu-user-static  # runs the test programs on emulated CPUs without AVX / AVX-512
  binutils          # objcopy, nm: the ISA symbol firewall and its check
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi

PY=${PYTHON:-python3}
# dask and distributed: the Dask chunk tests, examples and benchmark only (optional at run time).
# scikit-learn (its bundled digits data set) and tqdm: examples/train_digits.py only.
PIP_PACKAGES=(meson ninja meson-python pybind11 numpy pytest hypothesis matplotlib "torch==2.13.0"
              "dask[array]==2026.8.0" "distributed==2026.8.0" "scikit-learn==1.9.1" "tqdm==4.70.1")
need_pip=0
"$PY" - <<'PYEOF' || need_pip=1
import importlib.util, sys
mods = ["mesonbuild", "ninja", "mesonpy", "pybind11", "numpy", "pytest", "hypothesis", "matplotlib", "torch",
        "dask", "distributed", "sklearn", "tqdm"]
missing = [m for m in mods if importlib.util.find_spec(m) is None]
if not missing:
    import torch
    if not torch.__version__.startswith("2.13.0"):
        missing.append("torch==2.13.0")
    import dask, distributed
    if dask.__version__ != "2026.8.0" or distributed.__version__ != "2026.8.0":
        missing.append("dask==2026.8.0")
sys.exit(1 if missing else 0)
PYEOF
if ((need_pip)); then
  echo "setup: pip install ${PIP_PACKAGES[*]}"
  "$PY" -m pip install -q "${PIP_PACKAGES[@]}"
fi
echo "setup: ok"
