r"""Judging generated digits with a small MNIST classifier.

The published GAN metrics, the Inception Score (Salimans et al. 2016) and
the FID (Heusel et al. 2017), run images through Inception-v3, a network
trained on ImageNet photographs; on 28 x 28 grey digits that says little, and
it needs a 100 MB download. Here the same formulas run on
:class:`MNISTClassifier`, a two-layer CNN trained on the 4,000 bundled
``"train"`` digits of :func:`gan_helpers.data.load_mnist` (weights shipped in
``gan_helpers/weights``, under 1 MB). The numbers therefore are **not**
Inception Scores or FIDs and cannot be compared with published ones; they are
called the *classifier score* and the *classifier Frechet distance*. They
compare models within this course.

Every metric takes images as a float tensor ``(N, 1, 28, 28)`` with values in
``[-1, 1]`` (as :func:`~gan_helpers.data.load_mnist` returns them and as a
``tanh`` generator makes them), runs the classifier in batches without
gradients on the classifier's device, and raises ``ValueError`` saying what
it expected and what it got when the images are not like that.

* :func:`predict`: class probabilities :math:`p(y \mid x)`, ``(N, 10)``;
* :func:`class_histogram`, :func:`classes_covered`, :func:`kl_to_uniform`:
  how the predicted classes are spread, the mode-collapse check of lesson 6;
* :func:`classifier_score`:
  :math:`\exp\big(\mathbb E_x\, \mathrm{KL}(p(y \mid x) \,\|\, p(y))\big)`;
* :func:`frechet_distance`: the Frechet distance between Gaussians fitted to
  the classifier's 64-d penultimate features of two sets of images.

Rebuild the weights with ``make classifier`` (``tools/train_classifier.py``).
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .utils import check_int, check_unit_interval

__all__ = [
    "MNISTClassifier",
    "CLASSIFIER_PATH",
    "CLASSIFIER_SHA256",
    "NUM_CLASSES",
    "load_classifier",
    "classifier_features",
    "predict",
    "class_histogram",
    "classes_covered",
    "kl_to_uniform",
    "classifier_score",
    "frechet_distance",
    "frechet_distance_gaussians",
]

NUM_CLASSES = 10
#: The shipped weights (a ``state_dict`` saved with ``torch.save``).
CLASSIFIER_PATH = Path(__file__).resolve().parent / "weights" / "mnist_classifier.pt"
#: sha256 of the file at ``CLASSIFIER_PATH``; ``tools/train_classifier.py`` prints it.
CLASSIFIER_SHA256 = "e8e345f6c51da4b054c2dcd7607ba81fbb8554ea90495a4247f8bbd4d1d077a7"

#: Values this far outside [-1, 1] are accepted (rounding in a generator's tanh).
_RANGE_TOL = 1e-3
_BATCH = 500


class MNISTClassifier(nn.Module):
    """A small CNN for 28 x 28 digits: ``(B, 1, 28, 28)`` in [-1, 1] -> ``(B, 10)`` logits.

    conv 3x3 (1 -> 16), ReLU, max-pool 2; conv 3x3 (16 -> 32), ReLU, max-pool 2;
    linear 1568 -> 64, ReLU (:meth:`features`); linear 64 -> 10. 106k
    parameters, about 0.4 MB of float32 weights.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, NUM_CLASSES)

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
    "(tools/train_classifier.py) and set CLASSIFIER_SHA256 in gan_helpers/metrics.py to the sha256 it prints."
)


@functools.lru_cache(maxsize=None)
def _load_classifier(device: str) -> MNISTClassifier:
    path = Path(CLASSIFIER_PATH)
    if not path.is_file():
        raise RuntimeError(f"the classifier's weights {path} are missing. {_REBUILD}")
    digest = _file_sha256(path)
    if digest != CLASSIFIER_SHA256:
        raise RuntimeError(
            f"the classifier's weights {path} are corrupted or not the shipped ones: "
            f"sha256 {digest}, expected {CLASSIFIER_SHA256}. {_REBUILD}"
        )
    state = torch.load(path, map_location=device, weights_only=True)
    model = MNISTClassifier()
    model.load_state_dict(state)
    model.to(device).eval().requires_grad_(False)
    return model


def load_classifier(device: torch.device | str | None = None) -> MNISTClassifier:
    """The trained :class:`MNISTClassifier`, in eval mode, on ``device`` (default: the CPU).

    Loads ``CLASSIFIER_PATH`` after checking its sha256 against
    ``CLASSIFIER_SHA256`` (a mismatch or a missing file is a ``RuntimeError``
    saying how to rebuild it), with ``torch.load(..., weights_only=True)``.
    One model per device is cached and shared by every caller: do not train
    or modify it (its parameters do not require gradients). Its held-out
    accuracy is >= 96% on ``load_mnist("bundled", "heldout")``.
    ``load_classifier.cache_clear()`` forgets the cached models.
    """
    device = torch.device("cpu") if device is None else torch.device(device)
    return _load_classifier(str(device))


load_classifier.cache_clear = _load_classifier.cache_clear  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------
# Checking and running
# ----------------------------------------------------------------------------

_EXPECTED = "a float tensor of shape (N, 1, 28, 28) with values in [-1, 1], as load_mnist returns"


def _check_images(name: str, images, min_count: int = 1) -> torch.Tensor:
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


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _run(
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
    device = _device_of(classifier)
    outputs = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            batch = images[start : start + batch_size].to(device=device, dtype=torch.float32)
            outputs.append(fn(classifier, batch).cpu())
    return torch.cat(outputs)


def _log_probs(images: torch.Tensor, classifier, batch_size: int) -> torch.Tensor:
    logits = _run(images, classifier, batch_size, lambda model, x: model(x))  # (N, 10)
    return torch.log_softmax(logits.double(), dim=1)


# ----------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------


def classifier_features(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = _BATCH
) -> torch.Tensor:
    """The classifier's 64-d penultimate features (:meth:`MNISTClassifier.features`), ``(N, 64)`` on the CPU."""
    _check_images("images", images)
    return _run(images, classifier, batch_size, lambda model, x: model.features(x))


def predict(images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = _BATCH) -> torch.Tensor:
    r"""Class probabilities :math:`p(y \mid x) = \mathrm{softmax}(\text{logits})`, ``(N, 10)``.

    Float32, on the device of ``images``; each row sums to 1. ``classifier``
    defaults to :func:`load_classifier` on the images' device.
    """
    _check_images("images", images)
    return _log_probs(images, classifier, batch_size).exp().float().to(images.device)


def class_histogram(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = _BATCH
) -> torch.Tensor:
    """How many images the classifier assigns to each class (its arg-max): int64 ``(10,)`` on the CPU."""
    _check_images("images", images)
    logits = _run(images, classifier, batch_size, lambda model, x: model(x))  # (N, 10)
    return torch.bincount(logits.argmax(dim=1), minlength=NUM_CLASSES)


def classes_covered(
    images: torch.Tensor, min_share: float = 0.01, classifier: MNISTClassifier | None = None, batch_size: int = _BATCH
) -> int:
    r"""The number of classes that receive at least ``min_share`` of the images (and at least one).

    With the default 1%, a class predicted for 3 images out of 1,000 does not
    count: a collapsed generator's few stray samples are not coverage. A
    generator that covers every digit scores 10.
    """
    min_share = check_unit_interval("min_share", min_share)
    counts = class_histogram(images, classifier, batch_size)
    share = counts.double() / counts.sum()
    return int(((counts > 0) & (share >= min_share)).sum())


def kl_to_uniform(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = _BATCH
) -> float:
    r"""How far the predicted classes are from balanced, in nats.

    .. math:: \mathrm{KL}(q \,\|\, u) = \sum_{k=0}^{9} q_k \log \frac{q_k}{1/10} = \log 10 - H(q)

    where :math:`q_k` is the share of images predicted as class :math:`k`
    (:func:`class_histogram` / N) and :math:`0 \log 0 = 0`. It is 0 for a
    perfectly balanced set and :math:`\log 10 \approx 2.30` when every image
    is one class. A balanced real sample of N images is not exactly 0:
    sampling noise alone gives about :math:`9 / (2N)`.
    """
    counts = class_histogram(images, classifier, batch_size).double()
    share = counts / counts.sum()  # (10,)
    return float(torch.special.xlogy(share, share * NUM_CLASSES).sum())


def classifier_score(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = _BATCH
) -> float:
    r"""The Inception Score's formula with this course's MNIST classifier in place of Inception-v3.

    .. math::
        \exp\Big(\frac1N \sum_{i=1}^N \mathrm{KL}\big(p(y \mid x_i) \,\big\|\, \hat p(y)\big)\Big),
        \qquad \hat p(y) = \frac1N \sum_{i=1}^N p(y \mid x_i)

    (Salimans et al. 2016). High when each image is confidently one digit
    and the digits are varied: it lies between 1 (every image gets the same
    prediction) and 10 (confident predictions, spread evenly). Not an
    Inception Score: the classifier differs, and, unlike Salimans et al., it
    is computed once over all N images rather than averaged over 10 splits.
    """
    _check_images("images", images)
    log_p = _log_probs(images, classifier, batch_size)  # (N, 10) float64
    p = log_p.exp()
    p_y = p.mean(dim=0, keepdim=True)  # (1, 10)
    kl = (torch.where(p > 0, p * log_p, torch.zeros_like(p)) - torch.special.xlogy(p, p_y)).sum(dim=1)  # (N,)
    return float(torch.exp(kl.mean().clamp_min(0)))  # KL >= 0; rounding can dip below


def _trace_sqrt_product_eigh(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    r""":math:`\mathrm{Tr}\,(S_a S_b)^{1/2}` as :math:`\sum_i \sqrt{\lambda_i}`, the eigenvalues of the
    symmetric :math:`S_a^{1/2} S_b S_a^{1/2}` (same eigenvalues as :math:`S_a S_b`)."""
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = root_a @ cov_b @ root_a
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum())


def _trace_sqrt_product(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    r""":math:`\mathrm{Tr}\,(S_a S_b)^{1/2}`: ``scipy.linalg.sqrtm`` (as the reference FID code does),
    or the eigen-decomposition when SciPy is missing or its result is not real and finite."""
    try:
        from scipy.linalg import sqrtm
    except ImportError:
        return _trace_sqrt_product_eigh(cov_a, cov_b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singular covariances (few or identical images) are expected
        root = sqrtm(cov_a @ cov_b)
    trace = np.trace(root)
    scale = max(np.trace(cov_a), np.trace(cov_b), 1e-12)
    if not np.all(np.isfinite(root)) or abs(np.imag(trace)) > 1e-6 * scale:
        return _trace_sqrt_product_eigh(cov_a, cov_b)
    return float(np.real(trace))


def frechet_distance_gaussians(mu_a, cov_a, mu_b, cov_b) -> float:
    r"""The Frechet (2-Wasserstein squared) distance between two Gaussians (Dowson and Landau 1982).

    .. math::
        d^2 = \lVert \mu_a - \mu_b \rVert^2 + \mathrm{Tr}\big(S_a + S_b - 2\,(S_a S_b)^{1/2}\big)

    Arrays: means ``(d,)``, covariances ``(d, d)`` (symmetric, positive
    semi-definite). Computed in float64 and clipped at 0 (rounding can make
    the distance of a set to itself a tiny negative number).
    """
    mu_a, mu_b = np.asarray(mu_a, dtype=np.float64), np.asarray(mu_b, dtype=np.float64)
    cov_a, cov_b = np.asarray(cov_a, dtype=np.float64), np.asarray(cov_b, dtype=np.float64)
    if mu_a.ndim != 1:
        raise ValueError(f"mu_a must be a vector of shape (d,), got shape {mu_a.shape}")
    d = mu_a.shape[0]
    for name, value, shape in (("mu_a", mu_a, (d,)), ("mu_b", mu_b, (d,)), ("cov_a", cov_a, (d, d)), ("cov_b", cov_b, (d, d))):
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (means (d,), covariances (d, d)), got {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} must be finite")
    distance = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * _trace_sqrt_product(cov_a, cov_b)
    return max(float(distance), 0.0)


def frechet_distance(
    images_a: torch.Tensor,
    images_b: torch.Tensor,
    classifier: MNISTClassifier | None = None,
    batch_size: int = _BATCH,
) -> float:
    r"""The *classifier Frechet distance* between two sets of images (lower is closer).

    FID's formula (Heusel et al. 2017) on this course's classifier: fit a
    Gaussian (mean :math:`\mu`, covariance :math:`S`, with the :math:`N - 1`
    denominator) to each set's 64-d :func:`classifier_features` and return

    .. math::
        \lVert \mu_a - \mu_b \rVert^2 + \mathrm{Tr}\big(S_a + S_b - 2\,(S_a S_b)^{1/2}\big)

    (:func:`frechet_distance_gaussians`). Not an FID: the features are not
    Inception-v3's, so the numbers are on another scale. Like the FID it is
    biased upwards for small sets: compare models with the same N (each set
    needs at least 2 images; a few hundred or more give stable values).
    """
    _check_images("images_a", images_a, min_count=2)
    _check_images("images_b", images_b, min_count=2)
    stats = []
    for images in (images_a, images_b):
        feats = _run(images, classifier, batch_size, lambda model, x: model.features(x)).double().numpy()  # (N, 64)
        stats += [feats.mean(axis=0), np.cov(feats, rowvar=False)]
    return frechet_distance_gaussians(*stats)
