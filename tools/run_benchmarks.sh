#!/usr/bin/env bash
# The main job, from a fresh clone on a fresh machine: installs what it needs,
# installs rusttorch into the current Python with `pip install .`, and runs the
# side-by-side comparison against PyTorch and NumPy (bench/compare.py), writing
# bench/results/compare.json and bench/results/compare.png.
# Arguments go to bench/compare.py (e.g. --quick, --ops add,matmul, --threads 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
python3 -m pip install -q .
mkdir -p bench/results
cd bench  # import the installed package, not the source folder
python3 compare.py --json results/compare.json --plot results/compare.png "$@"
