r"""Judging a generator on toy data, where the true distribution is known.

On 1-D data the distance between G's samples and the data is computed
exactly; on a mixture of narrow Gaussians (:func:`gan_helpers.data.ring_2d`,
:func:`gan_helpers.data.grid_2d`) we count the modes G covers.

* :func:`wasserstein_1d`: the earth mover's distance between two 1-D
  samples of the same size, or between a sample and the quantiles of a
  known distribution (:func:`normal_quantiles`);
* :func:`mode_coverage`: how many modes G covers, how many of its samples
  land on a mode (*quality*), and which mode each sample is nearest to
  (the tell-tale of mode collapse: all samples nearest one or two modes),
  with this course's thresholds (a distance ``near``, a share ``min_share``);
* :func:`mode_metrics`: the published definitions of
  :cite:t:`srivastava2017veegan` on the ring and the grid. A sample
  :math:`x` is *high quality* when
  :math:`\min_k \lVert x - c_k \rVert \le 3\sigma`; a mode is *covered*
  when it is the nearest mode of at least one high-quality sample.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch

from . import toys
from .utils import check_choice, check_finite, check_int, check_positive, check_unit_interval

__all__ = ["wasserstein_1d", "normal_quantiles", "mode_coverage", "ModeMetrics", "mode_metrics", "BENCHMARKS"]


def _as_1d(name: str, x) -> torch.Tensor:
    """``x`` as a float64 vector; ``(N, 1)`` is accepted. ``ValueError`` otherwise."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a tensor of shape (N,) or (N, 1), got {type(x).__name__}")
    if x.dim() == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() != 1 or len(x) == 0:
        raise ValueError(f"{name} must be a tensor of shape (N,) or (N, 1) with N >= 1, got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be floating point, got {x.dtype}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or Inf")
    return x.detach().to("cpu", torch.float64)


def wasserstein_1d(a: torch.Tensor, b: torch.Tensor) -> float:
    r"""The 1-Wasserstein (earth mover's) distance between two 1-D samples of size N:

    .. math:: W_1 = \frac1N \sum_{i=1}^{N} \big|a_{(i)} - b_{(i)}\big|,

    where :math:`a_{(i)}` is the i-th smallest value: in one dimension the
    cheapest way to move one pile of N points onto another pairs them in
    sorted order. Pass ``b = normal_quantiles(N, mean, std)`` to compare a
    sample with a known normal distribution. ``a`` and ``b`` are ``(N,)`` or
    ``(N, 1)``; different sizes raise ``ValueError``.
    """
    a, b = _as_1d("a", a), _as_1d("b", b)
    if len(a) != len(b):
        raise ValueError(f"a and b must have the same number of values, got {len(a)} and {len(b)}")
    return (a.sort().values - b.sort().values).abs().mean().item()


def normal_quantiles(n: int, mean: float = 0.0, std: float = 1.0) -> torch.Tensor:
    r"""``n`` evenly spaced quantiles of :math:`\mathcal N(\text{mean}, \text{std}^2)`,
    at probabilities :math:`(i - \tfrac12)/n`, :math:`i = 1, \dots, n`: a
    "perfect sample" of size n, shape ``(n,)``, float64."""
    n = check_int("n", n, minimum=1)
    mean, std = check_finite("mean", mean), check_positive("std", std)
    p = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    return torch.distributions.Normal(torch.tensor(mean, dtype=torch.float64), std).icdf(p)


def mode_coverage(samples: torch.Tensor, centres: torch.Tensor, near: float = 0.1, min_share: float = 0.01) -> dict:
    """How G's ``samples`` (N, 2) sit on a mixture whose modes are at ``centres`` (K, 2).

    The two counts of the mode-collapse literature on these mixtures, modes
    captured and the share of high-quality samples near a mode
    :cite:p:`srivastava2017veegan,lin2018pacgan`, with this course's
    thresholds ``near`` and ``min_share``. Returns a dict:

    * ``modes``: modes *covered*, those with at least ``min_share`` of the
      samples within distance ``near`` of their centre (``near`` = 0.1 is 5
      standard deviations of :func:`~gan_helpers.data.ring_2d`'s modes);
    * ``quality``: the share of samples within ``near`` of some centre;
    * ``nearest``: the share of samples whose nearest centre is each mode,
      shape ``(K,)``, however far they are; a collapsed G puts nearly all of
      them on one or two modes;
    * ``occupied``: the number of modes that are nearest to at least
      ``min_share`` of the samples.
    """
    for name, t in (("samples", samples), ("centres", centres)):
        if not isinstance(t, torch.Tensor) or t.dim() != 2 or t.shape[0] == 0:
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(f"{name} must be a tensor (N, d) with N >= 1, got {got}")
    if samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples are {samples.shape[1]}-d but centres are {centres.shape[1]}-d")
    if not torch.isfinite(samples).all():
        raise ValueError("samples contain NaN or Inf")
    near = check_positive("near", near)
    min_share = check_unit_interval("min_share", min_share)
    x = samples.detach().to("cpu", torch.float32)
    c = centres.detach().to("cpu", torch.float32)
    dist = torch.cdist(x, c)  # (N, K)
    closest = dist.argmin(1)  # (N,)
    on_mode = dist.min(1).values < near  # (N,)
    k = len(c)
    covered_counts = torch.bincount(closest[on_mode], minlength=k)  # (K,)
    nearest = torch.bincount(closest, minlength=k).double() / len(x)  # (K,)
    return {
        "modes": int((covered_counts >= min_share * len(x)).sum()),
        "quality": on_mode.double().mean().item(),
        "nearest": nearest,
        "occupied": int((nearest >= min_share).sum()),
    }


def _default_std(fn) -> float:
    return inspect.signature(fn).parameters["std"].default


#: name -> (mode centres (K, 2), standard deviation of each mode): the course's data at their defaults.
#:
#: :meta hide-value:
BENCHMARKS = {
    "ring": (toys.ring_centres(), _default_std(toys.ring_2d)),
    "grid": (toys.grid_centres(), _default_std(toys.grid_2d)),
}


@dataclass(frozen=True)
class ModeMetrics:
    """The result of :func:`mode_metrics`; every number uses the definition named in ``definition``."""

    dataset: str
    definition: str
    modes_covered: int  # modes that are the nearest mode of >= 1 high-quality sample
    modes: int  # modes in the benchmark
    high_quality: float  # share of samples within 3 std of their nearest mode
    n: int  # samples judged
    counts: tuple[int, ...]  # high-quality samples whose nearest mode is each mode
    std: float  # the benchmark's standard deviation; the radius is 3 * std


def _veegan_counts(samples: torch.Tensor, centres: torch.Tensor, std: float) -> tuple[int, ...]:
    """High-quality samples (nearest centre within ``3 * std``, inclusive) per nearest centre, in float64."""
    dist = torch.cdist(samples.to(torch.float64), centres.to(torch.float64))  # (N, K)
    nearest, closest = dist.min(1)  # (N,), (N,)
    good = nearest <= 3 * std  # (N,)
    return tuple(torch.bincount(closest[good], minlength=len(centres)).tolist())


def mode_metrics(samples: torch.Tensor, dataset: str) -> ModeMetrics:
    r"""The mode metrics of :cite:t:`srivastava2017veegan` for ``samples`` (N, 2) of ``dataset``.

    ``dataset`` is ``"ring"`` (8 modes on a circle of radius 2,
    :func:`~gan_helpers.toys.ring_2d`) or ``"grid"`` (25 modes on the 5 x 5
    grid :math:`\{-4, -2, 0, 2, 4\}^2`, :func:`~gan_helpers.toys.grid_2d`),
    with the standard deviation :math:`\sigma` of the course's data at its
    defaults (:data:`BENCHMARKS`): 0.02 for the ring, as in
    :cite:t:`metz2017unrolled`, and 0.05 for the grid, as in
    :cite:t:`lin2018pacgan`, so that the radius :math:`3\sigma` is 0.06 and
    0.15. With :math:`c_k` the centres:

    * a sample :math:`x` is *high quality* when
      :math:`\min_k \lVert x - c_k\rVert \le 3\sigma`
      (``high_quality`` is their share of the N samples);
    * a mode is *covered* when it is the nearest mode of at least one
      high-quality sample (``modes_covered``); ``counts[k]`` is the number of
      high-quality samples whose nearest mode is :math:`c_k`.

    The published tables judge 2,500 samples; any N >= 1 is accepted. A
    sample of the data itself is high quality with probability
    :math:`P(\chi^2_2 \le 9) = 1 - e^{-4.5} \approx 0.989`. Unlike
    :func:`mode_coverage` (a share ``min_share`` of samples per mode), one
    sample covers a mode here. Returns a frozen :class:`ModeMetrics`.
    """
    dataset = check_choice("dataset", dataset, tuple(BENCHMARKS))
    if not isinstance(samples, torch.Tensor) or samples.dim() != 2 or samples.shape[1] != 2 or len(samples) == 0:
        got = tuple(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        raise ValueError(f"samples must be a tensor of shape (N, 2) with N >= 1, got {got}")
    if samples.dtype == torch.bool or samples.is_complex():
        raise ValueError(f"samples must be real numbers, got {samples.dtype}")
    if not torch.isfinite(samples).all():
        raise ValueError("samples contain NaN or Inf")
    centres, std = BENCHMARKS[dataset]
    counts = _veegan_counts(samples.detach().to("cpu"), centres, std)
    return ModeMetrics(
        dataset=dataset,
        definition="veegan",
        modes_covered=sum(c > 0 for c in counts),
        modes=len(centres),
        high_quality=sum(counts) / len(samples),
        n=len(samples),
        counts=counts,
        std=std,
    )
