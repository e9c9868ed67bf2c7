"""Figures and animations: 1-D function plots, training animations and image grids.

Animations are matplotlib ``FuncAnimation`` objects shown with
``to_jshtml()``, so they play in the static book (no kernel, no internet);
:func:`save_gif` writes the same animation as a GIF on request.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation, PillowWriter

from .utils import check_int, check_positive, device_of

__all__ = [
    "plot_function",
    "PointGanPlot",
    "animate",
    "show_animation",
    "save_gif",
    "plot_rates",
    "image_grid",
    "show_images",
]


def _as_numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def plot_function(
    f: Callable,
    lo: float,
    hi: float,
    ax: plt.Axes | None = None,
    num: int = 200,
    **plot_kwargs,
) -> plt.Axes:
    """Plot ``y = f(x)`` for ``num`` points ``x`` in ``[lo, hi]``.

    ``f`` takes a 1-D float tensor of shape ``(num,)`` (an ``nn.Module`` or any
    callable) and returns one value per point; it is evaluated without
    gradients, on the module's device (:func:`~gan_helpers.utils.device_of`).
    """
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    check_int("num", num, minimum=2)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    xs = torch.linspace(lo, hi, num)
    if isinstance(f, torch.nn.Module):
        xs = xs.to(device_of(f))
    with torch.no_grad():
        ys = f(xs)
    ax.plot(_as_numpy(xs), _as_numpy(ys).reshape(num), **plot_kwargs)
    return ax


class PointGanPlot:
    """The single-point GAN in one picture, sharing one horizontal value axis.

    * G is drawn as the set of points ``(G(x), x)`` for inputs ``x`` in
      [-1, 1] (left axis): its outputs lie along the horizontal axis, so the
      solution ``w = 0, b = 1`` is a vertical line at the real value.
    * D is drawn as ``D(v) = P(real)`` over values ``v`` (right axis).
    * The real value is a dashed vertical line.

    ``update(w, b, d_prob)`` redraws G and D and returns the changed artists,
    which is what an animation frame needs. ``d_prob`` holds D's P(real) at
    the points of ``self.grid``.
    """

    def __init__(
        self, ax: plt.Axes | None = None, v_range: Sequence[float] = (-2.0, 3.0), target: float = 1.0, num: int = 200
    ):
        own_figure = ax is None
        if own_figure:
            _, ax = plt.subplots(figsize=(6, 3.6))
        self.ax, self.fig, self.target = ax, ax.figure, float(target)
        self.grid = np.linspace(v_range[0], v_range[1], num, dtype=np.float32)
        self.inputs = np.array([-1.0, 1.0])
        ax.set_xlim(*v_range)
        ax.set_ylim(-1.15, 1.15)
        ax.set_xlabel("value v (G's output, D's input)")
        ax.set_ylabel("G's input x", color="C0")
        ax.axvline(self.target, color="k", ls="--", lw=1)
        ax.annotate("real", (self.target, 1.15), xytext=(3, -12), textcoords="offset points", fontsize=8)
        self.ax_d = ax.twinx()
        self.ax_d.set_ylim(-0.05, 1.05)
        self.ax_d.set_ylabel("D(v) = P(real)", color="C1")
        (self.g_line,) = ax.plot([], [], color="C0", lw=2.5, label="G: x -> w x + b")
        (self.d_line,) = self.ax_d.plot([], [], color="C1", lw=2, label="D(v)")
        self.title = ax.set_title(" ")
        if own_figure:
            self.fig.tight_layout()  # once: a layout engine would re-run on every animation frame

    def update(self, w: float, b: float, d_prob, title: str | None = None) -> list:
        d_prob = _as_numpy(d_prob).reshape(-1)
        if d_prob.shape != self.grid.shape:
            raise ValueError(f"d_prob must hold one value per grid point, shape {self.grid.shape}, got {d_prob.shape}")
        self.g_line.set_data(w * self.inputs + b, self.inputs)
        self.d_line.set_data(self.grid, d_prob)
        if title is not None:
            self.title.set_text(title)
        return [self.g_line, self.d_line, self.title]


def animate(fig: plt.Figure, draw_frame: Callable[[int], list], num_frames: int, interval: int = 80) -> FuncAnimation:
    """A ``FuncAnimation`` that calls ``draw_frame(i)`` for frames ``i = 0 .. num_frames-1``."""
    check_int("num_frames", num_frames, minimum=1)
    check_positive("interval", interval)
    return FuncAnimation(fig, draw_frame, frames=num_frames, interval=interval, blit=False)


def show_animation(anim: FuncAnimation, gif_path: str | Path | None = None, fps: int = 12, alt: str = ""):
    """The animation as an HTML player that works without a kernel (``to_jshtml``).

    Closes the figure so the notebook does not also show its last frame.
    With ``gif_path``, the animation is also written there as a GIF. ``alt``
    describes it in words, for readers who cannot see it: the frames' alternative text.
    """
    from IPython.display import HTML

    if gif_path:
        save_gif(anim, gif_path, fps=fps)
    html = anim.to_jshtml(fps=fps, default_mode="once")
    plt.close(anim._fig)
    if alt:
        if html.count('<img id="_anim_img') != 1:
            raise RuntimeError("this matplotlib's animation player has no single frame image to describe")
        html = html.replace('<img id="_anim_img', f'<img alt="{escape(alt, quote=True)}" id="_anim_img', 1)
    return HTML(html)


def save_gif(anim: FuncAnimation, path: str | Path, fps: int = 12) -> Path:
    """Write ``anim`` to ``path`` as a GIF (Pillow; no ffmpeg needed). Returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif, got {str(path)!r}")
    check_int("fps", fps, minimum=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    anim.save(str(path), writer=PillowWriter(fps=fps))
    return path


def plot_rates(table, ax: plt.Axes | None = None, labels: Sequence[str] | None = None, color="C0", title: str = ""):
    """Success rates with their 95% intervals as horizontal error bars.

    ``table`` is a :func:`gan_helpers.stats.success_table`: columns ``rate``,
    ``ci_low``, ``ci_high``, ``runs``; one bar per row, labelled by its index
    (or ``labels``), first row on top.
    """
    for column in ("rate", "ci_low", "ci_high", "runs"):
        if column not in table:
            raise ValueError(f"table needs a {column!r} column (see stats.success_table)")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.45 * len(table) + 1))
    if labels is None:
        labels = [
            ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in np.atleast_1d(k)) for k in table.index
        ]
    y = np.arange(len(table))[::-1]
    rate = table["rate"].to_numpy()
    err = np.vstack([rate - table["ci_low"].to_numpy(), table["ci_high"].to_numpy() - rate])
    ax.barh(y, rate, color=color, alpha=0.35)
    ax.errorbar(rate, y, xerr=err, fmt="o", color=color, capsize=3)
    for yi, r, n in zip(y, rate, table["runs"].to_numpy()):
        ax.annotate(f"{r:.0%} of {n}", (1.02, yi), va="center", fontsize=8, xycoords=("axes fraction", "data"))
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of runs that succeed (95% Wilson interval)")
    if title:
        ax.set_title(title)
    return ax


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 0) -> torch.Tensor:
    """Tile the first ``nrow * nrow`` images (N, C, H, W) into one image, row by row.

    Returns ``(nrow * H + (nrow - 1) * padding, nrow * W + ...)`` for one
    channel, or ``(..., ..., C)`` for C > 1 (ready for ``imshow``), on the
    CPU; padding pixels take the images' minimum. Fewer than ``nrow * nrow``
    images leave the rest of the grid at that value too.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) == 0:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a tensor (N, C, H, W) with N >= 1, got {got}")
    nrow = check_int("nrow", nrow, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    x = images[: nrow * nrow].detach().float().cpu()  # (n, C, H, W)
    n, c, h, w = x.shape
    background = x.min().item()
    grid = torch.full((c, nrow * h + (nrow - 1) * padding, nrow * w + (nrow - 1) * padding), background)
    for i in range(n):
        top, left = (i // nrow) * (h + padding), (i % nrow) * (w + padding)
        grid[:, top : top + h, left : left + w] = x[i]
    return grid[0] if c == 1 else grid.permute(1, 2, 0)  # (H', W') or (H', W', C)


def show_images(images: torch.Tensor, ax: plt.Axes | None = None, title: str = "", nrow: int = 8) -> plt.Axes:
    """Draw :func:`image_grid` of images in [-1, 1] (grey for one channel) on ``ax``, without ticks."""
    grid = image_grid(images, nrow=nrow, padding=1)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(((grid + 1) / 2).clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set(title=title, xticks=[], yticks=[])
    ax.grid(False)
    return ax
