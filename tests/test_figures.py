"""Every lesson's figures are legible at the book's text width, described in words, and colour-blind safe.

The rules (gan_helpers.style states them; the README's Contributing section
points to them):

* **Width.** No figure output is wider than ``style.TEXT_WIDTH`` inches at
  ``style.DPI`` (680 pixels): the book then shows it at its own size, so its
  text is as large as its font size says (the browser test checks the same on
  the built pages). Animation and slider frames count as figures.
* **Text.** No text is set smaller than ``style.MIN_FONT`` points.
* **Words.** Every figure has alternative text: a cell's image outputs take it
  from the cell's ``mystnb.image.alt`` metadata (MyST-NB writes it into the
  page), an animation or slider from its ``alt`` argument.
* **Colour.** Colours come from the course's palette (``style.PALETTE``, or the
  colour cycle ``"C0"``..``"C7"`` that ``style.use()`` sets to it) or are
  greys; colour maps are those of ``style.COLORMAPS``.
"""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from conftest import NOTEBOOKS
from PIL import Image

from gan_helpers import style

MAX_PX = round(style.TEXT_WIDTH * style.DPI)
FRAME = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
IMG_TAG = re.compile(r"<img\b[^>]*>")
ALT = re.compile(r'\balt="([^"]*)"')
FONT = re.compile(r"""\b(?:fontsize|labelsize|size)\s*=\s*(?:(\d+(?:\.\d+)?)\b|["'](xx-small|x-small)["'])""")
COLOUR = re.compile(
    r"""\b(?:color|colors|c|facecolor|edgecolor|ecolor|markerfacecolor|markeredgecolor|mfc|mec)\s*=\s*["']([^"']+)["']"""
)
TAB_COLOUR = re.compile(r"""["'](tab:\w+|xkcd:[\w ]+)["']""")
CMAP = re.compile(r"""\bcmap\s*=\s*["']([^"']+)["']""")
GREYS = {"k", "w", "black", "white", "gray", "grey", "lightgray", "lightgrey", "darkgray", "darkgrey", "none"}
CYCLE_REFS = {f"C{i}" for i in range(len(style.CYCLE))}
PALETTE = {v.lower() for v in style.PALETTE.values()} | set(style.PALETTE)


def _allowed_colour(value: str) -> bool:
    value = value.strip()
    if value.lower() in GREYS | PALETTE or value in CYCLE_REFS:
        return True
    return bool(re.fullmatch(r"0?\.\d+|[01](?:\.0*)?", value))  # a grey level "0.7"


def _png_width(b64: str) -> int:
    return Image.open(io.BytesIO(base64.b64decode(b64))).size[0]


def problems(nb: dict) -> list[str]:
    """Every breach of the rules above in notebook ``nb``, naming the cell."""
    found = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        where = f"cell {index}"
        source = "".join(cell["source"])
        alt = (cell.get("metadata", {}).get("mystnb", {}).get("image", {}) or {}).get("alt", "")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                width = _png_width("".join(data["image/png"]).replace("\n", ""))
                if width > MAX_PX:
                    found.append(f"{where}: figure {width} px wide, more than {MAX_PX} ({style.TEXT_WIDTH} in)")
                if not str(alt).strip():
                    found.append(f"{where}: image without alt text (set metadata mystnb.image.alt)")
            # to_jshtml breaks each frame's base64 into lines ending in a backslash
            html = "".join(data.get("text/html", "")).replace("\\\n", "")
            frames = FRAME.findall(html)
            if frames:
                width = _png_width(frames[0])
                if width > MAX_PX:
                    found.append(f"{where}: frames {width} px wide, more than {MAX_PX} ({style.TEXT_WIDTH} in)")
            for tag in IMG_TAG.findall(html):
                described = ALT.search(tag)
                if not described or not described.group(1).strip():
                    found.append(f"{where}: an <img> in the HTML output without alt text (pass alt=...)")
        for number, name in FONT.findall(source):
            if name or float(number) < style.MIN_FONT:
                found.append(f"{where}: text at {number or name}, smaller than {style.MIN_FONT} pt")
        for value in COLOUR.findall(source) + TAB_COLOUR.findall(source):
            if not _allowed_colour(value):
                found.append(f"{where}: colour {value!r} is not in the course's palette (style.PALETTE, C0-C7)")
        for value in CMAP.findall(source):
            if value not in style.COLORMAPS:
                found.append(f"{where}: colour map {value!r} is not one of style.COLORMAPS")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_figures_are_legible_described_and_colour_blind_safe(path):
    found = problems(json.loads(path.read_text()))
    assert not found, f"{path.name}:\n" + "\n".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_setup_cell_applies_the_course_style(path):
    setup = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
    assert "style.use()" in "".join(setup["source"])


def _png(width: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, 4), "gray").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _cell(source: str, outputs=(), alt: str | None = None) -> dict:
    metadata = {} if alt is None else {"mystnb": {"image": {"alt": alt}}}
    return {"cell_type": "code", "source": [source], "outputs": list(outputs), "metadata": metadata}


def test_a_clean_figure_passes():
    nb = {"cells": [_cell('ax.plot(x, color="C0"); ax.set_title("t", fontsize=9)', [_image(MAX_PX)], alt="a line")]}
    assert problems(nb) == []


def _image(width: int) -> dict:
    return {"output_type": "display_data", "data": {"image/png": _png(width)}}


@pytest.mark.parametrize(
    "cell, expected",
    [
        (_cell("plt.show()", [_image(MAX_PX + 1)], alt="wide"), f"figure {MAX_PX + 1} px wide"),
        (_cell("plt.show()", [_image(100)]), "image without alt text"),
        (_cell("plt.show()", [_image(100)], alt="  "), "image without alt text"),
        (
            _cell("x", [{"data": {"text/html": f'<img id="_anim_img1" src="data:image/png;base64,{_png(900)}">'}}]),
            "frames 900 px wide",
        ),
        (_cell("x", [{"data": {"text/html": f'<img src="data:image/png;base64,{_png(9)}">'}}]), "without alt text"),
        (_cell("ax.legend(fontsize=7)"), "text at 7, smaller than"),
        (_cell('ax.tick_params(labelsize="x-small")'), "text at x-small"),
        (_cell('ax.plot(x, color="red")'), "colour 'red'"),
        (_cell('ax.plot(x, "o", c="tab:green")'), "colour 'tab:green'"),
        (_cell('ax.imshow(a, cmap="jet")'), "colour map 'jet'"),
    ],
)
def test_each_breach_is_found_and_named(cell, expected):
    found = problems({"cells": [cell]})
    assert any(expected in p and p.startswith("cell 0: ") for p in found), found


def test_palette_is_okabe_ito():
    """The eight colours of Okabe and Ito (2008), as published (hex RGB)."""
    assert sorted(v.upper() for v in style.PALETTE.values()) == sorted(
        ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
    )
    assert set(style.CYCLE) == set(style.PALETTE.values())
