#!/usr/bin/python3
"""Plots sluice-bench-compare's CSV: commit-to-present (and, for the fenced workloads,
fence-signal-to-present) distributions per workload and client count, sluice beside weston.

Usage: plot-compare.py CSV PNG [TITLE]
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

WORKLOADS = ["shm", "dmabuf", "fenced", "explicit"]
FENCED = ["fenced", "explicit"]
COMPOSITORS = [("sluice", "tab:blue"), ("weston", "tab:orange")]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: plot-compare.py CSV PNG [TITLE]")
    title = sys.argv[3] if len(sys.argv) == 4 else "sluice and weston on vkms 1024x768@60"
    samples = defaultdict(list)
    with open(sys.argv[1], newline="") as f:
        for row in csv.DictReader(f):
            key = (row["workload"], int(row["clients"]), row["compositor"])
            samples[key + ("c",)].append(float(row["commit_to_present_ms"]))
            samples[key + ("s",)].append(float(row["signal_to_present_ms"]))
    if not samples:
        sys.exit("plot-compare.py: no rows in " + sys.argv[1])
    counts = sorted({k[1] for k in samples})

    present = {k[0] for k in samples}
    panels = [(w, "c") for w in WORKLOADS if w in present] + [
        (w, "s") for w in FENCED if w in present]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2), squeeze=False)
    axes = axes[0]
    for ax, (workload, kind) in zip(axes, panels):
        positions, data, colours = [], [], []
        for i, n in enumerate(counts):
            for j, (name, colour) in enumerate(COMPOSITORS):
                values = samples.get((workload, n, name, kind))
                if values:
                    positions.append(i * 3 + j)
                    data.append(values)
                    colours.append(colour)
        if data:
            parts = ax.boxplot(data, positions=positions, widths=0.8, patch_artist=True,
                               showfliers=True, flierprops={"markersize": 2})
            for patch, colour in zip(parts["boxes"], colours):
                patch.set_facecolor(colour)
            # The p99s set the scale; the few frames beyond are counted in the title.
            p99 = max(sorted(v)[int(0.99 * (len(v) - 1))] for v in data)
            top = max(p99 * 1.15, 20)
            beyond = sum(x > top for v in data for x in v)
            ax.set_ylim(0, top)
            if beyond:
                ax.text(0.99, 0.98, f"{beyond} frame{'s' if beyond > 1 else ''} above {top:.0f} ms", ha="right",
                        va="top", transform=ax.transAxes, fontsize=8)
        ax.set_xticks([i * 3 + 0.5 for i in range(len(counts))])
        ax.set_xticklabels([f"{n} client{'s' if n > 1 else ''}" for n in counts])
        what = "fence signal to present" if kind == "s" else "commit to present"
        ax.set_title(f"{workload}: {what}", fontsize=10)
        ax.set_ylabel("ms")
        ax.axhline(1000 / 60, color="grey", linewidth=0.6, linestyle=":")
        ax.grid(axis="y", linewidth=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for _, c in COMPOSITORS]
    fig.legend(handles, [n for n, _ in COMPOSITORS], loc="upper right")
    fig.suptitle(f"{title} (dotted: one refresh period)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 0.95, 0.94))
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
