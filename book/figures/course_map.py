"""Draw the course map of the intro: the ladder of lessons from one point to the latent space.

Usage: python book/figures/course_map.py [OUT.svg]   (default: book/figures/course_map.svg)

The lessons, their titles and their parts are read from ``_toc.yml`` and the
first heading of each page, so the map follows the book; only the one-line
summary of each rung is written here (:data:`RUNGS`), and
tests/test_notebooks.py checks that every lesson has one and that the
committed SVG holds the labels this script draws.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import matplotlib
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import svg_figure  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_suffix(".svg")
# Okabe-Ito (gan_helpers.style.PALETTE), lightened for box fills: one per part of the book
FILLS = ["#cce3f2", "#fbe0b3", "#c2e8dc", "#f6cfb8", "#e9cfe0"]

#: lesson page -> what its rung adds, in a few words
RUNGS = {
    "book/why_two_networks": "learning without a likelihood",
    "notebooks/01_single_point_gan": "one weight, one bias, one point",
    "notebooks/02_failures_and_fixes": "150 runs: failures and fixes",
    "notebooks/03_gan_objective": "the value function, k D steps",
    "notebooks/04_mnist_gan": "MLPs on digits, over seeds",
    "notebooks/05_dcgan": "convolutions, checkpoints",
    "notebooks/06_mode_collapse": "rings, grids, packing",
    "notebooks/07_wgan": "critics and the gradient penalty",
    "notebooks/08_latent_space": "interpolation, latent search",
    "notebooks/09_evaluating_gans": "precision, recall, Frechet",
}


def title(page: str) -> str:
    """The first heading of a book page (a .md file or a notebook)."""
    md, nb = ROOT / f"{page}.md", ROOT / f"{page}.ipynb"
    text = md.read_text() if md.exists() else "".join(json.loads(nb.read_text())["cells"][0]["source"])
    return re.search(r"^# (.+)$", text, re.M).group(1).strip()


def lessons() -> list[tuple[str, str, str]]:
    """(page, title, part) of every lesson page: the chapters of every part before the appendices."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = []
    for part in toc["parts"]:
        if part["caption"] in ("Appendices", "Reference"):
            break
        out += [(ch["file"], title(ch["file"]), part["caption"]) for ch in part["chapters"]]
    return out


def appendices() -> list[str]:
    """Titles of the appendix pages, in the order of the book."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    part = next(p for p in toc["parts"] if p["caption"] == "Appendices")
    return [re.sub(r"^\d+\.\s*", "", title(ch["file"])) for ch in part["chapters"]]


def draw() -> plt.Figure:
    """The map as a matplotlib figure: one rung per lesson, rising left to right, coloured by part."""
    rungs = lessons()
    parts = list(dict.fromkeys(part for _, _, part in rungs))
    n, w, h, rise = len(rungs), 4.6, 0.52, 0.6
    dx = (10 - w - 0.2) / max(n - 1, 1)
    fig, ax = plt.subplots(figsize=(8, 5.6))
    ax.set(xlim=(0, 10), ylim=(0, n * rise + 0.1))
    ax.axis("off")
    for i, (page, name, part) in enumerate(rungs):
        x, y = 0.1 + i * dx, 0.1 + i * rise
        fill = FILLS[parts.index(part) % len(FILLS)]
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02", facecolor=fill, edgecolor="0.3", lw=0.8))
        ax.text(x + 0.12, y + 0.36, re.split(r"[:,]", name)[0], ha="left", va="center", fontsize=9, weight="bold")
        ax.text(x + 0.12, y + 0.14, RUNGS[page], ha="left", va="center", fontsize=8, color="0.15")
        if i:
            ax.add_patch(
                FancyArrowPatch(
                    (x - dx + 0.25, y - rise + h + 0.02),
                    (x + 0.25, y - 0.02),
                    arrowstyle="-|>",
                    mutation_scale=8,
                    lw=0.8,
                    color="0.4",
                )
            )
    top = n * rise
    ax.text(0.1, top - 0.05, "Parts of the book", ha="left", va="top", fontsize=8, weight="bold")
    for k, part in enumerate(parts):  # the legend of parts, top left, above the lowest rungs
        y = top - 0.45 - k * 0.3
        ax.add_patch(
            FancyBboxPatch(
                (0.1, y), 0.3, 0.18, boxstyle="round,pad=0.02", facecolor=FILLS[k % len(FILLS)], edgecolor="0.3", lw=0.8
            )
        )
        ax.text(0.5, y + 0.09, part, ha="left", va="center", fontsize=8)
    extra = appendices()
    if extra:  # bottom right, under the highest rungs
        ax.text(9.9, 1.0, "Appendices", ha="right", va="bottom", fontsize=8, weight="bold")
        for k, name in enumerate(extra):
            ax.text(9.9, 0.75 - k * 0.25, name, ha="right", va="bottom", fontsize=8, color="0.15")
    fig.tight_layout()
    return fig


def save(path: Path = OUT) -> Path:
    """Write the map as an SVG whose bytes depend only on this script, the book's pages and matplotlib."""
    return svg_figure.save(draw, path, "course-map")


if __name__ == "__main__":
    print(save(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
