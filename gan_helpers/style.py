r"""How the course's figures look: legible at the book's text width, in colours every reader can tell apart.

**Legibility.** The book shows a figure at most as wide as its text column
(:data:`TEXT_WIDTH`, in inches at :data:`DPI` dots per inch), shrinking wider
ones. A figure whose width is at most :data:`TEXT_WIDTH` is shown at its own
size, so its text is as large on the page as its font size says; every font
size is at least :data:`MIN_FONT` points. The tests hold every lesson to this
rule (``tests/test_figures.py``): no figure output is wider than
``TEXT_WIDTH * DPI`` pixels, and no text in a lesson is set smaller than
:data:`MIN_FONT`.

**Colour.** The colour cycle is the palette of :cite:t:`okabe2008color`,
chosen so that readers with the common colour-vision deficiencies can still
tell its colours apart; :data:`PALETTE` names them. Images use ``viridis`` or
grey scales, which are ordered in lightness as well as hue.

A lesson's setup cell calls :func:`use` once.
"""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

__all__ = ["PALETTE", "CYCLE", "TEXT_WIDTH", "DPI", "MIN_FONT", "COLORMAPS", "use", "rc_params"]

#: Okabe and Ito's colour-blind-safe palette, by name (hex RGB).
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: The order of the colour cycle: the palette's darker colours first, yellow (weak on white) last.
CYCLE: tuple[str, ...] = tuple(
    PALETTE[name] for name in ("blue", "orange", "green", "vermillion", "sky", "purple", "black", "yellow")
)
#: The widest figure, in inches at :data:`DPI` (680 pixels): the book shows one this wide at its own size in a window 1,280 pixels wide.
TEXT_WIDTH = 8.5
#: Dots per inch of the lessons' figures.
DPI = 80
#: The smallest font size, in points, of any text in a figure.
MIN_FONT = 8
#: The colour maps lessons use for images and heat maps: perceptually ordered ones.
COLORMAPS = ("viridis", "cividis", "magma", "gray", "gray_r", "Greys", "binary", "RdBu", "RdBu_r", "PuOr", "PuOr_r")


def rc_params() -> dict:
    """The matplotlib settings :func:`use` applies."""
    return {
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "font.size": 10,
        "axes.titlesize": 10,
        "axes.labelsize": 10,
        "legend.fontsize": 9,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "figure.titlesize": 11,
        "axes.prop_cycle": cycler(color=list(CYCLE)),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "image.cmap": "viridis",
    }


def use() -> None:
    """Apply the course's figure settings (:func:`rc_params`) to matplotlib."""
    mpl.rcParams.update(rc_params())
