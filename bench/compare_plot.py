#!/usr/bin/env python3
"""The charts of bench/compare.py's rows: a heatmap of the ratio torch time /
rusttorch time (ops as rows, sizes as columns, one panel per thread count), and
grouped bars of the seed's ops at the largest size, one bar per thread count.

compare.py --plot PATH draws both (PATH and PATH's stem + "_seed.png"); this
file also redraws them from a JSON file compare.py wrote:

    python3 bench/compare_plot.py bench/results/compare.json bench/results/compare.png
"""
import math
import os
import sys
import textwrap

import numpy as np

RATIO_LIMIT = 8.0  # the colour scale runs from 1/8x (deep red) through 1x to 8x (deep blue), log-scaled
CMAP = "RdYlBu"


def seed_path(path):
    stem, ext = os.path.splitext(path)
    return f"{stem}_seed{ext or '.png'}"


def fmt_ratio(r):
    if r >= 9.95:
        return f"{r:.0f}"
    return f"{r:.2f}" if r < 0.995 else f"{r:.1f}"


def _subtitle(meta, width_in):
    """The run's facts, wrapped to a figure `width_in` inches wide."""
    parts = ["float32"]
    if meta.get("cpu"):
        parts.append(meta["cpu"] + (f", {meta['cores']} cores" if meta.get("cores") else ""))
    if meta.get("cpu_capability"):
        parts.append(f"rusttorch {meta['cpu_capability']} kernels")
    if meta.get("rounds"):
        parts.append("each library alone in its own process, "
                     + (f"median of {meta['rounds']} rounds" if meta["rounds"] > 1 else "1 round"))
    if meta.get("date"):
        parts.append(meta["date"])
    return "\n".join(textwrap.wrap("; ".join(parts), width=int(width_in * 13)))


def _ordered(values, order):
    present = set(values)
    return [v for v in order if v in present] + sorted(present - set(order))


def _threads_label(nt):
    return f"{nt} thread" + ("" if nt == 1 else "s")


def heatmap(rows, path, meta, op_order, size_order):
    import matplotlib.pyplot as plt
    from matplotlib.colors import FuncNorm

    threads = sorted({r["threads"] for r in rows})
    ops = _ordered([r["op"] for r in rows], op_order)
    sizes = _ordered([r["size"] for r in rows], size_order)
    ratio = {(r["op"], r["size"], r["threads"]): r["ratio_vs_torch"] for r in rows}
    norm = FuncNorm((lambda x: np.log2(np.maximum(x, 1e-12)), np.exp2), vmin=1 / RATIO_LIMIT, vmax=RATIO_LIMIT)
    cmap = plt.get_cmap(CMAP).copy()
    cmap.set_bad("white")  # a row that was not run: an empty cell

    cell_w, cell_h = 0.74, 0.25  # inches
    width = 1.5 + len(threads) * (len(sizes) * cell_w + 0.25) + 1.0
    height = 1.5 + len(ops) * cell_h
    width, height = max(width, 6.5), max(height, 3.5)
    fig, axes = plt.subplots(1, len(threads), figsize=(width, height), sharey=True, squeeze=False,
                             layout="constrained")
    im = None
    for ax, nt in zip(axes[0], threads):
        grid = np.full((len(ops), len(sizes)), np.nan)
        for i, op in enumerate(ops):
            for j, size in enumerate(sizes):
                grid[i, j] = ratio.get((op, size, nt), np.nan)
        im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
        for i in range(len(ops)):
            for j in range(len(sizes)):
                r = grid[i, j]
                if math.isnan(r):
                    continue
                dark = abs(math.log2(r)) > 0.62 * math.log2(RATIO_LIMIT)
                ax.text(j, i, fmt_ratio(r), ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
        ax.set_xticks(range(len(sizes)), sizes, fontsize=8)
        ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=len(ops) > 25, length=0)
        ax.set_yticks(range(len(ops)), ops, fontsize=8.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xticks(np.arange(-0.5, len(sizes)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(ops)), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.2)
        ax.tick_params(which="minor", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(_threads_label(nt), fontsize=10, fontweight="bold")
    ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8) if 1 / RATIO_LIMIT <= t <= RATIO_LIMIT]
    cbar = fig.colorbar(im, ax=axes[0].tolist(), ticks=ticks, shrink=min(0.9, 5 / height), aspect=20,
                        extend="both", extendfrac=0.04)
    cbar.ax.set_yticklabels([f"{t:g}x" for t in ticks], fontsize=8)
    cbar.set_label("torch time / rusttorch time (above 1: rusttorch faster)" if height > 6 else
                   "above 1: rusttorch faster", fontsize=8.5)
    fig.suptitle(f"rusttorch vs torch {meta.get('torch', '')}: torch time / rusttorch time\n"
                 f"{_subtitle(meta, width)}", fontsize=9.5)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def seed_bars(rows, path, meta, size_order, seed_ops):
    """The seed's ops at the largest size they were run at; None if none was run."""
    import matplotlib.pyplot as plt

    seed_rows = [r for r in rows if r["op"] in seed_ops]
    if not seed_rows:
        return None
    size = _ordered([r["size"] for r in seed_rows], size_order)[-1]
    threads = sorted({r["threads"] for r in seed_rows})
    ops = [op for op in seed_ops if any(r["op"] == op and r["size"] == size for r in seed_rows)]
    ratio = {(r["op"], r["threads"]): r["ratio_vs_torch"] for r in seed_rows if r["size"] == size}

    fig_w = max(6.0, 0.42 * len(ops) + 1.4)
    fig, ax = plt.subplots(figsize=(fig_w, 4.2), layout="constrained")
    width = 0.8 / len(threads)
    colors = ["#4C72B0", "#DD8452", "#55A868", "#8172B2"]
    values = []
    for k, nt in enumerate(threads):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(ops))]
        ys = [ratio.get((op, nt), np.nan) for op in ops]
        values += [y for y in ys if not math.isnan(y)]
        # bars grow from the 1x line: up where rusttorch is faster, down where it is slower
        ax.bar(xs, [y - 1 for y in ys], bottom=1, width=width * 0.92, color=colors[k % len(colors)],
               label=_threads_label(nt))
        for x, y in zip(xs, ys):
            if not math.isnan(y):
                up = y >= 1
                ax.text(x, y * (1.04 if up else 1 / 1.04), fmt_ratio(y), ha="center", va="bottom" if up else "top",
                        fontsize=6.5, rotation=90)
    ax.axhline(1.0, color="black", linewidth=1.0)
    ax.set_yscale("log")
    lo, hi = min(values + [1.0]), max(values + [1.0])
    ax.set_ylim(min(0.5, lo / 2.2), max(2.0, hi * 2.4))  # room above for the labels and the legend
    ticks = [2.0 ** e for e in range(-10, 11) if ax.get_ylim()[0] <= 2.0 ** e <= ax.get_ylim()[1]]
    ax.set_yticks(ticks, [f"{t:g}x" for t in ticks])
    ax.minorticks_off()
    ax.set_xticks(range(len(ops)), ops, rotation=45, ha="right", rotation_mode="anchor", fontsize=8.5)
    ax.set_xlim(-0.6, len(ops) - 0.4)
    ax.set_ylabel("torch time / rusttorch time\n(above 1: rusttorch faster)", fontsize=9)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=8.5, frameon=False, loc="upper right", ncol=len(threads))
    ax.set_title(f"The seed's ops at {size}, rusttorch vs torch {meta.get('torch', '')}\n{_subtitle(meta, fig_w)}",
                 fontsize=9.5)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_all(rows, path, meta, op_order, size_order, seed_ops):
    """Both figures; returns the paths written."""
    import matplotlib
    matplotlib.use("Agg")
    written = [heatmap(rows, path, meta, op_order, size_order)]
    seed = seed_bars(rows, seed_path(path), meta, size_order, seed_ops)
    if seed:
        written.append(seed)
    return written


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    import json

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from compare import SEED_OPS, SIZES, _ops

    with open(sys.argv[1]) as f:
        data = json.load(f)
    meta = {k: v for k, v in data.items() if k != "rows"}
    for p in plot_all(data["rows"], sys.argv[2], meta, list(_ops()), list(SIZES), SEED_OPS):
        print(f"wrote {p}")


if __name__ == "__main__":
    main()
