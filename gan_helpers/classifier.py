r"""The course's MNIST classifier: the network, its shipped weights, and running it on images.

The published GAN metrics run images through Inception-v3, a network trained
on ImageNet photographs; on 28 x 28 grey digits that says little, and it needs
a 100 MB download. This course uses :class:`MNISTClassifier` instead, a
two-layer CNN trained on the 4,000 bundled ``"train"`` digits of
:func:`gan_helpers.mnist.load_mnist` (weights shipped in
``gan_helpers/weights``, under 1 MB, checked against :data:`CLASSIFIER_SHA256`
when loaded). This module owns the network, loading it
(:func:`load_classifier`), checking images (:func:`check_images`: a float
tensor ``(N, 1, 28, 28)`` in ``[-1, 1]``, else a ``ValueError`` saying what it
expected and what it got) and running it in batches without gradients on the
classifier's device: :func:`predict` (class probabilities) and
:func:`classifier_features` (64-d penultimate features). The metrics built on
them are :mod:`gan_helpers.metrics`, which re-exports every name here.

Rebuild the weights with ``make classifier`` (``tools/train_classifier.py``).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .layers import default_init_, initial_weights
from .utils import check_int, device_of

__all__ = [
    "MNISTClassifier",
    "CLASSIFIER_PATH",
    "CLASSIFIER_SHA256",
    "NUM_CLASSES",
    "BATCH_SIZE",
    "load_classifier",
    "check_images",
    "run_batches",
    "log_probs",
    "classifier_features",
    "predict",
]

NUM_CLASSES = 10
#: The shipped weights (a ``state_dict`` saved with ``torch.save``).
CLASSIFIER_PATH = Path(__file__).resolve().parent / "weights" / "mnist_classifier.pt"
#: sha256 of the file at ``CLASSIFIER_PATH``; ``tools/train_classifier.py`` prints it.
CLASSIFIER_SHA256 = "e8e345f6c51da4b054c2dcd7607ba81fbb8554ea90495a4247f8bbd4d1d077a7"

#: Values this far outside [-1, 1] are accepted (rounding in a generator's tanh).
_RANGE_TOL = 1e-3
#: Images per forward pass through the classifier: a memory setting, the results do not depend on it.
BATCH_SIZE = 500


class MNISTClassifier(nn.Module):
    """A small CNN for 28 x 28 digits: ``(B, 1, 28, 28)`` in [-1, 1] -> ``(B, 10)`` logits.

    conv 3x3 (1 -> 16), ReLU, max-pool 2; conv 3x3 (16 -> 32), ReLU, max-pool 2;
    linear 1568 -> 64, ReLU (:meth:`features`); linear 64 -> 10. 106k
    parameters, about 0.4 MB of float32 weights. ``generator``: a
    ``torch.Generator`` the initial weights are drawn from (as PyTorch draws
    them by default), or None for torch's global RNG.
    """

    def __init__(self, generator: torch.Generator | None = None) -> None:
        super().__init__()
        with initial_weights(generator):
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
            self.fc1 = nn.Linear(32 * 7 * 7, 64)
            self.fc2 = nn.Linear(64, NUM_CLASSES)
        default_init_(self, generator)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 64-d penultimate activations (after the ReLU): ``(B, 1, 28, 28) -> (B, 64)``."""
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, 16, 14, 14)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)  # (B, 32, 7, 7)
        return F.relu(self.fc1(h.flatten(1)))  # (B, 64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.features(x))  # (B, 10) logits


# ----------------------------------------------------------------------------
# Loading the shipped weights
# ----------------------------------------------------------------------------


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_REBUILD = (
    "Restore the file from the repository, or rebuild it with `make classifier` "
    "(tools/train_classifier.py) and set CLASSIFIER_SHA256 in gan_helpers/classifier.py to the sha256 it prints."
)


@functools.lru_cache(maxsize=None)
def _load_classifier(device: str, path: str) -> MNISTClassifier:
    path = Path(path)
    if not path.is_file():
        raise RuntimeError(f"the classifier's weights {path} are missing. {_REBUILD}")
    digest = _file_sha256(path)
    if digest != CLASSIFIER_SHA256:
        raise RuntimeError(
            f"the classifier's weights {path} are corrupted or not the shipped ones: "
            f"sha256 {digest}, expected {CLASSIFIER_SHA256}. {_REBUILD}"
        )
    state = torch.load(path, map_location=device, weights_only=True)
    # the initial weights are overwritten at once: draw them from a private generator, so that
    # loading the classifier in the middle of a run does not move torch's global RNG (dropout's)
    model = MNISTClassifier(generator=torch.Generator().manual_seed(0))
    model.load_state_dict(state)
    model.to(device).eval().requires_grad_(False)
    return model


def load_classifier(device: torch.device | str | None = None, path: str | Path | None = None) -> MNISTClassifier:
    """The trained :class:`MNISTClassifier`, in eval mode, on ``device`` (default: the CPU).

    Loads ``path`` (default ``CLASSIFIER_PATH``) after checking its sha256 against
    ``CLASSIFIER_SHA256`` (a mismatch or a missing file is a ``RuntimeError``
    saying how to rebuild it), with ``torch.load(..., weights_only=True)``.
    One model per device and path is cached and shared by every caller: do not train
    or modify it (its parameters do not require gradients). Its held-out
    accuracy is >= 96% on ``load_mnist("bundled", "heldout")``.
    ``load_classifier.cache_clear()`` forgets the cached models.
    """
    device = torch.device("cpu") if device is None else torch.device(device)
    return _load_classifier(str(device), str(CLASSIFIER_PATH if path is None else path))


load_classifier.cache_clear = _load_classifier.cache_clear  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------
# Checking and running
# ----------------------------------------------------------------------------

_EXPECTED = "a float tensor of shape (N, 1, 28, 28) with values in [-1, 1], as load_mnist returns"


def check_images(name: str, images, min_count: int = 1) -> torch.Tensor:
    """``images`` unchanged, or ``ValueError`` saying what was expected and what was given."""
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"{name} must be {_EXPECTED}; got {type(images).__name__}")
    if not images.is_floating_point():
        hint = " (pixel values 0..255? use images.float() / 127.5 - 1)" if images.dtype == torch.uint8 else ""
        raise ValueError(f"{name} must be {_EXPECTED}; got dtype {images.dtype}{hint}")
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        hint = " (add the channel dimension: images.unsqueeze(1))" if tuple(images.shape[1:]) == (28, 28) else ""
        hint = " (flat vectors? use images.view(-1, 1, 28, 28))" if tuple(images.shape[1:]) == (784,) else hint
        raise ValueError(f"{name} must be {_EXPECTED}; got shape {tuple(images.shape)}{hint}")
    if images.shape[0] < min_count:
        raise ValueError(f"{name} must hold at least {min_count} image(s); got {images.shape[0]}")
    if not torch.isfinite(images).all():
        raise ValueError(f"{name} must be {_EXPECTED}; got NaN or infinite values")
    lo, hi = images.min().item(), images.max().item()
    if lo < -1 - _RANGE_TOL or hi > 1 + _RANGE_TOL:
        hint = ""
        if lo >= -_RANGE_TOL and hi <= 255 + _RANGE_TOL:
            hint = " (images in [0, 1]: use images * 2 - 1; in 0..255: images / 127.5 - 1)"
        raise ValueError(f"{name} must be {_EXPECTED}; got values in [{lo:.4g}, {hi:.4g}]{hint}")
    return images


def run_batches(
    images: torch.Tensor,
    classifier: MNISTClassifier | None,
    batch_size: int,
    fn: Callable[[MNISTClassifier, torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """``fn(classifier, batch)`` over batches on the classifier's device, without gradients; on the CPU."""
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if classifier is None:
        classifier = load_classifier(images.device)
    elif not isinstance(classifier, MNISTClassifier):
        raise ValueError(f"classifier must be an MNISTClassifier (see load_classifier) or None, got {classifier!r}")
    device = device_of(classifier)
    outputs = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            batch = images[start : start + batch_size].to(device=device, dtype=torch.float32)
            outputs.append(fn(classifier, batch).cpu())
    return torch.cat(outputs)


def log_probs(images: torch.Tensor, classifier: MNISTClassifier | None, batch_size: int = BATCH_SIZE) -> torch.Tensor:
    r""":math:`\log p(y \mid x)` (log-softmax of the logits) in float64, ``(N, 10)`` on the CPU; unchecked images."""
    logits = run_batches(images, classifier, batch_size, lambda model, x: model(x))  # (N, 10)
    return torch.log_softmax(logits.double(), dim=1)


def classifier_features(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = BATCH_SIZE
) -> torch.Tensor:
    """The classifier's 64-d penultimate features (:meth:`MNISTClassifier.features`).

    Float32 ``(N, 64)``, on the device of ``images``. ``classifier`` defaults
    to :func:`load_classifier` on the images' device.
    """
    check_images("images", images)
    return run_batches(images, classifier, batch_size, lambda model, x: model.features(x)).to(images.device)


def predict(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = BATCH_SIZE
) -> torch.Tensor:
    r"""Class probabilities :math:`p(y \mid x) = \mathrm{softmax}(\text{logits})`, ``(N, 10)``.

    Float32, on the device of ``images``; each row sums to 1. ``classifier``
    defaults to :func:`load_classifier` on the images' device.
    """
    check_images("images", images)
    return log_probs(images, classifier, batch_size).exp().float().to(images.device)
