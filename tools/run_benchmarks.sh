#!/usr/bin/env bash
# The main job, from a fresh clone on a fresh machine: installs what it needs,
# installs rusttorch into the current Python with `pip install .`, and runs the
# side-by-side comparison against PyTorch and NumPy (bench/compare.py, each
# library timed alone in its own process), writing bench/results/compare.json,
# bench/results/compare.png (heatmap) and bench/results/compare_seed.png.
#
#   tools/run_benchmarks.sh              # the quick set (the seed's ops, 3 sizes): about a minute
#   tools/run_benchmarks.sh --full       # every op and size (about 11 minutes on 2 cores)
#
# Other arguments go to bench/compare.py (e.g. --ops add,matmul, --threads 1,
# --rounds 7); without --full they add to --quick.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--quick)
args=()
for a in "$@"; do
    if [[ "$a" == "--full" ]]; then mode=(); else args+=("$a"); fi
done
bash tools/setup.sh
python3 -m pip install -q .
mkdir -p bench/results
cd bench  # import the installed package, not the source folder
python3 compare.py --json results/compare.json --plot results/compare.png ${mode[@]+"${mode[@]}"} \
    ${args[@]+"${args[@]}"}
if [[ ${#mode[@]} -gt 0 ]]; then
    echo
    echo "That was the quick set. The full table (every op and size, about 11 minutes on 2 cores):"
    echo "  tools/run_benchmarks.sh --full"
fi
