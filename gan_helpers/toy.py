r"""Judging a generator on toy data, where the true distribution is known.

On 1-D data the distance between G's samples and the data is computed
exactly; on a mixture of narrow Gaussians (:func:`gan_helpers.data.ring_2d`,
:func:`gan_helpers.data.grid_2d`) we count the modes G covers.

* :func:`wasserstein_1d`: the earth mover's distance between two 1-D
  samples of the same size, or between a sample and the quantiles of a
  known distribution (:func:`normal_quantiles`);
* :func:`mode_coverage`: how many modes G covers, how many of its samples
  land on a mode (*quality*), and which mode each sample is nearest to
  (the tell-tale of mode collapse: all samples nearest one or two modes).
"""

from __future__ import annotations

import torch

from .utils import check_finite, check_int, check_positive, check_unit_interval

__all__ = ["wasserstein_1d", "normal_quantiles", "mode_coverage"]


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


def mode_coverage(
    samples: torch.Tensor, centres: torch.Tensor, near: float = 0.1, min_share: float = 0.01
) -> dict:
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
