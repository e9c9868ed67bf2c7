"""Write the book's drawn figures as SVGs that can be checked against their scripts.

``save`` writes a figure with its text kept as SVG text (not paths) and with
no date or random ids in the file, so its bytes depend only on the script,
the book's pages it reads and matplotlib's version; ``texts`` reads the
labels back, which is how the tests check that a committed SVG is the one
its script draws now.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt


def save(draw: Callable[[], plt.Figure], path: Path, salt: str) -> Path:
    """Draw the figure with ``draw()`` and write it to ``path`` as a reproducible SVG; ``salt`` seeds its ids."""
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig = draw()
        fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return path


def texts(svg: str) -> list[str]:
    """The text of every <text> element of an SVG, in order, whitespace-normalised."""
    found = re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)).split()) for t in found]
