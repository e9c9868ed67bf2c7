"""gan_helpers.sliders: the frame order, the HTML block, and the slider moving in Chromium."""

from __future__ import annotations

import base64
import io
import itertools
import json
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from pagecheck import browser  # noqa: F401  (the Chromium fixture)
from PIL import Image

from gan_helpers import sliders


def _draw(a, b):
    """A 1 x 1 inch figure filled with a colour that encodes (a, b)."""
    fig = plt.figure(figsize=(1, 1), dpi=20)
    fig.patch.set_facecolor((a / 4, b / 4, 0.5))
    return fig


def _frames(block) -> list[str]:
    return json.loads(re.search(r"const frames = (\[.*?\]);", block.data).group(1))


def _colour(b64: str) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB").getpixel((5, 5))


@pytest.mark.parametrize("sizes", [(5,), (3, 4), (2, 3, 4)])
def test_frame_index_counts_the_grid_in_c_order(sizes):
    for count, positions in enumerate(itertools.product(*(range(n) for n in sizes))):
        assert sliders.frame_index(positions, sizes) == count


def test_frame_index_rejects_positions_off_the_grid():
    with pytest.raises(ValueError, match="outside a slider of 3 values"):
        sliders.frame_index((1, 3), (2, 3))
    with pytest.raises(ValueError, match="same length"):
        sliders.frame_index((1,), (2, 3))


def test_every_grid_point_is_drawn_once_in_order_and_stored_as_its_frame():
    calls = []

    def draw(a, b):
        calls.append((a, b))
        return _draw(a, b)

    block = sliders.frame_slider(draw, {"a": [0, 1, 2], "b": [0, 4]}, alt="a test", colors=None, progress=False)
    assert calls == list(itertools.product([0, 1, 2], [0, 4]))
    frames = _frames(block)
    assert len(frames) == 6
    for (a, b), frame in zip(calls, frames):
        expected = tuple(round(255 * v) for v in (a / 4, b / 4, 0.5))
        assert max(abs(x - y) for x, y in zip(_colour(frame), expected)) <= 1


def test_the_first_frame_shown_is_the_start_and_the_alt_text_names_it():
    block = sliders.frame_slider(_draw, {"a": [0, 1, 2], "b": [0, 4]}, alt="coloured square", start={"a": 2, "b": 4})
    frames = _frames(block)
    shown = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', block.data)
    assert shown.group(1) == frames[sliders.frame_index((2, 1), (3, 2))]
    assert shown.group(2) == "coloured square (a = 2, b = 4)"
    assert block.data.count('<input type="range"') == 2
    assert "http" not in block.data  # nothing to fetch


def test_quantised_frames_are_smaller_and_look_the_same():
    fig = plt.figure(figsize=(3, 2), dpi=80)
    plt.plot([0, 1], [0, 1])
    fig2 = plt.figure(figsize=(3, 2), dpi=80)
    plt.plot([0, 1], [0, 1])
    full, small = sliders.figure_png(fig, colors=None), sliders.figure_png(fig2, colors=32)
    assert len(small) < len(full)
    a, b = (Image.open(io.BytesIO(x)).convert("RGB") for x in (full, small))
    assert a.size == b.size
    assert np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).max() < 40


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sliders": {}}, "at least one slider"),
        ({"sliders": {"a": []}}, "slider 'a' has no values"),
        ({"sliders": {"a": range(21), "b": range(20)}}, "420 frames, more than MAX_FRAMES = 400"),
        ({"alt": "  "}, "alt must describe"),
        ({"start": {"c": 1}}, r"start names sliders that do not exist: \['c'\]"),
        ({"start": {"a": 5}}, r"start\['a'\] = 5 is not one of the slider's values \[0, 1\]"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    args = {"draw": _draw, "sliders": {"a": [0, 1], "b": [0]}, "alt": "x", "progress": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        sliders.frame_slider(**args)


def test_moving_a_slider_in_chromium_shows_that_frame(browser, tmp_path):  # noqa: F811
    # 3 x 4 values: a slip that mixes up the sliders' sizes shows the wrong frame
    block = sliders.frame_slider(_draw, {"a": [0, 1, 2], "b": [0, 2, 3, 4]}, alt="square", colors=None, progress=False)
    frames = _frames(block)
    page_file = tmp_path / "slider.html"
    page_file.write_text(f"<!doctype html><html><body>{block.data}</body></html>")
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    img = page.locator(".frame-slider img")
    assert img.get_attribute("src").endswith(frames[0])
    for a, b in [(2, 0), (2, 1), (0, 3), (1, 2)]:
        for k, position in enumerate((a, b)):
            page.locator(f'.frame-slider input[data-k="{k}"]').fill(str(position))
        assert img.get_attribute("src").endswith(frames[sliders.frame_index((a, b), (3, 4))])
        assert img.get_attribute("alt") == f"square (a = {[0, 1, 2][a]}, b = {[0, 2, 3, 4][b]})"
        assert page.locator('.frame-slider output[data-k="1"]').text_content() == str([0, 2, 3, 4][b])
    page.close()
    assert not errors
