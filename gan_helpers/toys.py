r"""Toy distributions for GANs in one and two dimensions (lessons 3 and 6).

Each is a function ``(n, generator, **options) -> (n, d)`` that draws every
random number from the ``torch.Generator`` it is given, so a lesson's data
depend only on its seed: :func:`gaussian_1d`; :func:`ring_2d`, the ring of 8
Gaussians, and :func:`grid_2d`, the 5 x 5 grid of Gaussians, the mode-collapse
benchmarks of :cite:t:`metz2017unrolled` and :cite:t:`lin2018pacgan`. Their
mode centres are :func:`ring_centres` and :func:`grid_centres`;
:func:`make_sampler` turns one into the ``sample(batch_size, generator)`` a
training loop calls. :mod:`gan_helpers.data` re-exports every name.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Callable

import torch

from .utils import check_finite, check_int, check_positive

__all__ = [
    "gaussian_1d",
    "ring_2d",
    "ring_centres",
    "grid_2d",
    "grid_centres",
    "make_sampler",
]


def _check_generator(generator) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise ValueError(
            "generator must be a torch.Generator (for example torch.Generator().manual_seed(0)), "
            f"got {type(generator).__name__}"
        )
    return generator


def _mixture(n: int, generator: torch.Generator, centres: torch.Tensor, std: float) -> torch.Tensor:
    """``n`` draws from the equal-weight mixture of N(centre, std^2 I): (n, d), on the generator's device.

    Draw order: ``n`` mode indices, then ``n * d`` standard normals.
    """
    n = check_int("n", n, minimum=1)
    generator = _check_generator(generator)
    centres = centres.to(generator.device)  # (K, d)
    modes = torch.randint(len(centres), (n,), generator=generator, device=generator.device)  # (n,)
    noise = torch.randn(n, centres.shape[1], generator=generator, device=generator.device)  # (n, d)
    return centres[modes] + std * noise


def gaussian_1d(n: int, generator: torch.Generator, mean: float = 4.0, std: float = 1.25) -> torch.Tensor:
    r"""``n`` draws from :math:`\mathcal N(\text{mean}, \text{std}^2)`, shape ``(n, 1)``.

    The default N(4, 1.25^2) is the target of the classic one-dimensional GAN
    demonstrations; it sits away from 0 so that an untrained generator (whose
    outputs are near 0) starts visibly wrong. Float32, on ``generator``'s device.
    """
    n = check_int("n", n, minimum=1)
    mean, std = check_finite("mean", mean), check_positive("std", std)
    generator = _check_generator(generator)
    return mean + std * torch.randn(n, 1, generator=generator, device=generator.device)  # (n, 1)


def ring_centres(modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    r"""The ``modes`` centres of :func:`ring_2d`, shape ``(modes, 2)``:
    :math:`c_k = r(\cos\tfrac{2\pi k}{K}, \sin\tfrac{2\pi k}{K})`, :math:`k = 0, \dots, K-1`."""
    return _ring_centres(check_int("modes", modes, minimum=1), check_positive("radius", radius)).clone()


@functools.lru_cache(maxsize=32)
def _ring_centres(modes: int, radius: float) -> torch.Tensor:
    """Computed once per (modes, radius): the toy trainers draw a batch per run at every step."""
    angle = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return (radius * torch.stack((torch.cos(angle), torch.sin(angle)), dim=1)).to(torch.float32)  # (K, 2)


def ring_2d(n: int, generator: torch.Generator, modes: int = 8, radius: float = 2.0, std: float = 0.02) -> torch.Tensor:
    r"""``n`` points from a ring of ``modes`` Gaussians, shape ``(n, 2)``.

    .. math:: p(x) = \frac1K \sum_{k=0}^{K-1} \mathcal N\big(x;\, c_k,\, \sigma^2 I\big)

    with centres :math:`c_k` from :func:`ring_centres` and :math:`\sigma` =
    ``std``; the defaults (8 modes, radius 2, std 0.02) are those of
    :cite:t:`metz2017unrolled`. Each point picks its mode uniformly at random. Float32, on
    ``generator``'s device.
    """
    centres = ring_centres(modes, radius)
    return _mixture(n, generator, centres, check_positive("std", std))


def grid_centres(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    r"""The ``side**2`` centres of :func:`grid_2d`, shape ``(side**2, 2)``, row by row.

    Coordinates :math:`(i - \tfrac{s-1}{2})\,\Delta` for :math:`i = 0, \dots, s-1`,
    so the grid is centred on 0: the default is :math:`\{-4, -2, 0, 2, 4\}^2`.
    """
    return _grid_centres(check_int("side", side, minimum=1), check_positive("spacing", spacing)).clone()


@functools.lru_cache(maxsize=32)
def _grid_centres(side: int, spacing: float) -> torch.Tensor:
    axis = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing  # (s,)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack((xs.reshape(-1), ys.reshape(-1)), dim=1).to(torch.float32)  # (s*s, 2)


def grid_2d(n: int, generator: torch.Generator, side: int = 5, spacing: float = 2.0, std: float = 0.05) -> torch.Tensor:
    r"""``n`` points from a ``side`` x ``side`` grid of Gaussians, shape ``(n, 2)``.

    .. math:: p(x) = \frac1{s^2} \sum_{k} \mathcal N\big(x;\, c_k,\, \sigma^2 I\big)

    with centres :math:`c_k` from :func:`grid_centres` and :math:`\sigma` =
    ``std``; the defaults (25 modes, spacing 2, std 0.05) are the grid of
    :cite:t:`lin2018pacgan` and of a notebook released with
    :cite:t:`srivastava2017veegan`.
    Each point picks its mode uniformly at random. Float32, on
    ``generator``'s device.
    """
    centres = grid_centres(side, spacing)
    return _mixture(n, generator, centres, check_positive("std", std))


def make_sampler(fn: Callable[..., torch.Tensor], **kwargs) -> Callable[[int, torch.Generator], torch.Tensor]:
    """``sample(batch_size, generator)``: ``fn(batch_size, generator, **kwargs)`` with the options fixed.

    For a training loop: ``sample_real = make_sampler(ring_2d, modes=8)`` then
    ``x_real = sample_real(batch_size, gen)``. The options are checked now: an
    option ``fn`` does not take, or a bad value, raises ``ValueError`` here
    rather than at the first training step.
    """
    if not callable(fn):
        raise ValueError(f"fn must be a function (n, generator, **options) -> tensor, got {fn!r}")
    try:
        inspect.signature(fn).bind(1, None, **kwargs)
    except TypeError as err:
        raise ValueError(f"{getattr(fn, '__name__', fn)} does not take these options {sorted(kwargs)}: {err}") from None
    fn(1, torch.Generator().manual_seed(0), **kwargs)  # check the values; its own generator, no global state

    def sample(batch_size: int, generator: torch.Generator) -> torch.Tensor:
        return fn(check_int("batch_size", batch_size, minimum=1), generator, **kwargs)

    sample.__name__ = f"sample_{getattr(fn, '__name__', 'data')}"
    sample.__doc__ = f"{sample.__name__}(batch_size, generator): {getattr(fn, '__name__', fn)} with {kwargs}."
    return sample
