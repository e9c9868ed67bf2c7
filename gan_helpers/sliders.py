r"""Sliders that work without a kernel: precomputed frames behind range inputs.

A widget such as ``ipywidgets.interact`` redraws its figure in Python each
time a slider moves, so it needs a running kernel, and the book's static
pages cannot run one. :func:`frame_slider` draws the figure beforehand for
every combination of the sliders' values, on a grid, and writes one HTML
block: the frames as PNG images, one ``<input type="range">`` per slider, and
a few lines of JavaScript that show the frame of the sliders' current values.
It needs no kernel, no widget library and no network, so it works in the
book, on Colab and in Jupyter alike.

Frames are stored in C order over the sliders: with sliders of sizes
:math:`n_1, \dots, n_k` and positions :math:`i_1, \dots, i_k`, the frame shown
is number :math:`\sum_j i_j \prod_{l > j} n_l` (:func:`frame_index`).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import uuid
from typing import Callable, Sequence

import matplotlib.pyplot as plt
from PIL import Image

from .utils import check_int

__all__ = ["frame_slider", "frame_index", "figure_png", "MAX_FRAMES"]

#: The most frames one slider block may hold (its size grows with each one).
MAX_FRAMES = 400


def frame_index(positions: Sequence[int], sizes: Sequence[int]) -> int:
    """The frame number of slider positions ``positions`` on a grid of ``sizes`` (C order)."""
    if len(positions) != len(sizes):
        raise ValueError(f"positions and sizes must have the same length, got {len(positions)} and {len(sizes)}")
    index = 0
    for i, n in zip(positions, sizes):
        if not 0 <= i < n:
            raise ValueError(f"position {i} is outside a slider of {n} values")
        index = index * n + i
    return index


def figure_png(fig: plt.Figure, colors: int | None = 64) -> bytes:
    """``fig`` as PNG bytes (closing it), quantised to ``colors`` colours to keep it small (``None``: as drawn)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    if colors is None:
        return buffer.getvalue()
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    small = io.BytesIO()
    image.quantize(colors=check_int("colors", colors, minimum=2)).save(small, format="PNG", optimize=True)
    return small.getvalue()


def _format(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def frame_slider(
    draw: Callable[..., plt.Figure],
    sliders: dict[str, Sequence],
    alt: str,
    start: dict | None = None,
    colors: int | None = 64,
    progress: bool = True,
):
    """A kernel-free slider over figures drawn beforehand: ``draw(**values)`` for every grid point of ``sliders``.

    ``sliders`` maps each slider's name (a keyword of ``draw``) to its values,
    in order; ``draw`` returns a matplotlib figure (closed here). ``alt`` is
    the images' alternative text; the page adds the sliders' values to it.
    ``start`` gives each slider's first value (default: its first). Returns an
    ``IPython.display.HTML`` object, which a notebook shows as the last
    expression of a cell; its ``.data`` is the HTML text.
    """
    from IPython.display import HTML

    if not sliders:
        raise ValueError("sliders must name at least one slider: {name: values}")
    names = list(sliders)
    values = [list(sliders[name]) for name in names]
    for name, vals in zip(names, values):
        if not vals:
            raise ValueError(f"slider {name!r} has no values")
    sizes = [len(v) for v in values]
    total = math.prod(sizes)
    if total > MAX_FRAMES:
        raise ValueError(f"the sliders make {total} frames, more than MAX_FRAMES = {MAX_FRAMES}: use fewer values")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must describe the figure in words (the images' alternative text)")
    start = dict(start or {})
    unknown = set(start) - set(names)
    if unknown:
        raise ValueError(f"start names sliders that do not exist: {sorted(unknown)}; sliders: {names}")
    for name, vals in zip(names, values):
        if name in start and start[name] not in vals:
            raise ValueError(f"start[{name!r}] = {start[name]!r} is not one of the slider's values {vals}")
    first = [vals.index(start[name]) if name in start else 0 for name, vals in zip(names, values)]
    frames = []
    grid = itertools.product(*values)
    if progress:
        from tqdm.auto import tqdm

        grid = tqdm(grid, total=total, desc="drawing frames", mininterval=1.0)
    for point in grid:
        fig = draw(**dict(zip(names, point)))
        frames.append(base64.b64encode(figure_png(fig, colors)).decode("ascii"))
    uid = "slider-" + uuid.uuid4().hex[:8]
    inputs = []
    for k, (name, vals) in enumerate(zip(names, values)):
        inputs.append(
            f'<label style="display:block;font-family:sans-serif;font-size:14px">{html.escape(name)} '
            f'<input type="range" min="0" max="{len(vals) - 1}" step="1" value="{first[k]}" data-k="{k}" '
            f'aria-label="{html.escape(name)}" style="width:60%;vertical-align:middle"> '
            f'<output data-k="{k}">{html.escape(_format(vals[first[k]]))}</output></label>'
        )
    labels = [[_format(v) for v in vals] for vals in values]
    script = f"""<script>
(function() {{
  const root = document.getElementById({json.dumps(uid)});
  const frames = {json.dumps(frames)};
  const labels = {json.dumps(labels)};
  const names = {json.dumps(names)};
  const alt = {json.dumps(alt)};
  const inputs = Array.from(root.querySelectorAll('input[type=range]'));
  const outputs = Array.from(root.querySelectorAll('output'));
  const img = root.querySelector('img');
  function show() {{
    let index = 0;
    inputs.forEach((input, k) => {{ index = index * labels[k].length + Number(input.value); }});
    img.src = 'data:image/png;base64,' + frames[index];
    const said = inputs.map((input, k) => names[k] + ' = ' + labels[k][Number(input.value)]);
    outputs.forEach((out, k) => {{ out.textContent = labels[k][Number(inputs[k].value)]; }});
    img.alt = alt + ' (' + said.join(', ') + ')';
  }}
  inputs.forEach(input => input.addEventListener('input', show));
  show();
}})();
</script>"""
    first_frame = frames[frame_index(first, sizes)]
    said = ", ".join(f"{name} = {_format(vals[i])}" for name, vals, i in zip(names, values, first))
    body = (
        f'<div id="{uid}" class="frame-slider">'
        f'<img src="data:image/png;base64,{first_frame}" alt="{html.escape(alt)} ({html.escape(said)})">'
        + "".join(inputs)
        + "</div>"
        + script
    )
    return HTML(body)
