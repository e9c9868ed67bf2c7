"""Draw lesson 0's diagram of a GAN: G, D and the feedback loop between them.

Usage: python book/figures/gan_loop.py [OUT.svg]   (default: book/figures/gan_loop.svg)

The SVG is committed next to this script; tests/test_notebooks.py checks that
it holds the labels this script draws, so the figure cannot drift from its code.
Text is kept as SVG text (not paths) so the labels can be read back.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import svg_figure  # noqa: E402

OUT = Path(__file__).with_suffix(".svg")

# (x, y) centres of the boxes, in axis units (0..10 by 0..5)
BOXES = {
    "noise": ((1.0, 3.6), "random numbers\nz", "0.9"),
    "G": ((3.6, 3.6), "generator G", "#9ecae1"),
    "fake": ((6.1, 3.6), "synthetic sample\nG(z)", "0.9"),
    "real": ((6.1, 1.2), "real sample x\n(the data)", "0.9"),
    "D": ((8.6, 2.4), "discriminator D", "#fdae6b"),
}


def draw() -> plt.Figure:
    """The diagram as a matplotlib figure."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.set(xlim=(0, 10.4), ylim=(-0.4, 5.2))
    ax.axis("off")
    for (x, y), text, color in BOXES.values():
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.9, y - 0.45), 1.8, 0.9, boxstyle="round,pad=0.05", facecolor=color, edgecolor="k", lw=1
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=9)

    def arrow(a, b, **kw):
        ax.add_patch(
            FancyArrowPatch(a, b, **{"arrowstyle": "-|>", "mutation_scale": 12, "lw": 1.2, "color": "k", **kw})
        )

    arrow((1.95, 3.6), (2.65, 3.6))  # z -> G
    arrow((4.55, 3.6), (5.15, 3.6))  # G -> G(z)
    arrow((7.05, 3.4), (8.2, 2.9))  # G(z) -> D
    arrow((7.05, 1.4), (8.2, 1.9))  # x -> D
    arrow((9.55, 2.4), (10.3, 2.4))  # D -> P(real)
    ax.text(9.95, 2.65, "P(real)", ha="center", va="bottom", fontsize=8)
    ax.text(8.6, 0.35, "D learns: real → 1, synthetic → 0", ha="center", fontsize=8, color="tab:orange")
    arrow((8.6, 2.9), (3.6, 4.1), connectionstyle="arc3,rad=0.35", linestyle="--", color="tab:blue")  # feedback
    ax.text(6.1, 4.95, "G learns from D's gradient: make D say 'real'", ha="center", fontsize=8, color="tab:blue")
    fig.tight_layout()
    return fig


def save(path: Path = OUT) -> Path:
    """Write the diagram as an SVG whose bytes depend only on this script and matplotlib's version."""
    return svg_figure.save(draw, path, "gan-loop")


if __name__ == "__main__":
    print(save(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
