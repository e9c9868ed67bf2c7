r"""Judging generated digits with the course's MNIST classifier.

The published GAN metrics, the Inception Score :cite:p:`salimans2016improved`
and the FID :cite:p:`heusel2017gans`, run images through Inception-v3. Here
the same formulas run on :class:`~gan_helpers.classifier.MNISTClassifier`
(:mod:`gan_helpers.classifier`). The numbers therefore are **not** Inception
Scores or FIDs and cannot be compared with published ones; they are called the
*classifier score* and the *classifier Frechet distance*. They compare models
within this course.

Every metric takes images as a float tensor ``(N, 1, 28, 28)`` with values in
``[-1, 1]`` (as :func:`~gan_helpers.mnist.load_mnist` returns them and as a
``tanh`` generator makes them) and raises ``ValueError`` saying what it
expected and what it got when the images are not like that. This module owns

* :func:`class_histogram`, :func:`classes_covered`, :func:`kl_to_uniform`:
  how the predicted classes are spread, the mode-collapse check of lesson 6;
* :func:`mean_confidence`: the classifier's mean top probability;
* :func:`classifier_score`:
  :math:`\exp\big(\mathbb E_x\, \mathrm{KL}(p(y \mid x) \,\|\, p(y))\big)`;
* :func:`frechet_distance`: the Frechet distance between Gaussians fitted to
  the classifier's 64-d penultimate features of two sets of images
  (:func:`frechet_distance_gaussians`);
* :func:`nyquist_energy`: the share of an image's energy at the highest
  frequencies its pixel grid holds, where a checkerboard artefact sits.

It re-exports the classifier's names (:func:`load_classifier`,
:func:`predict`, :func:`classifier_features`, ...), where lessons import them from.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from . import classifier as _classifier
from .classifier import (
    BATCH_SIZE,
    CLASSIFIER_PATH,
    CLASSIFIER_SHA256,
    NUM_CLASSES,
    MNISTClassifier,
    check_images,
    classifier_features,
    log_probs,
    predict,
    run_batches,
)
from .utils import check_unit_interval

__all__ = [
    # defined here
    "class_histogram",
    "classes_covered",
    "kl_to_uniform",
    "classifier_score",
    "mean_confidence",
    "frechet_distance",
    "frechet_distance_gaussians",
    "nyquist_energy",
    # re-exported from gan_helpers.classifier
    "MNISTClassifier",
    "CLASSIFIER_PATH",
    "CLASSIFIER_SHA256",
    "NUM_CLASSES",
    "load_classifier",
    "classifier_features",
    "predict",
]


def load_classifier(device: torch.device | str | None = None) -> MNISTClassifier:
    """:func:`gan_helpers.classifier.load_classifier` of the weights at this module's ``CLASSIFIER_PATH``.

    The same cached model as ``classifier.load_classifier(device)`` unless
    ``metrics.CLASSIFIER_PATH`` is pointed elsewhere (the tests do, to check
    that missing or corrupted weights are refused).
    """
    return _classifier.load_classifier(device, path=CLASSIFIER_PATH)


load_classifier.cache_clear = _classifier.load_classifier.cache_clear  # type: ignore[attr-defined]


def class_histogram(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = BATCH_SIZE
) -> torch.Tensor:
    """How many images the classifier assigns to each class (its arg-max): int64 ``(10,)`` on the CPU."""
    check_images("images", images)
    logits = run_batches(images, classifier, batch_size, lambda model, x: model(x))  # (N, 10)
    return torch.bincount(logits.argmax(dim=1), minlength=NUM_CLASSES)


def classes_covered(
    images: torch.Tensor,
    min_share: float = 0.01,
    classifier: MNISTClassifier | None = None,
    batch_size: int = BATCH_SIZE,
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
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = BATCH_SIZE
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
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = BATCH_SIZE
) -> float:
    r"""The Inception Score's formula with this course's MNIST classifier in place of Inception-v3.

    .. math::
        \exp\Big(\frac1N \sum_{i=1}^N \mathrm{KL}\big(p(y \mid x_i) \,\big\|\, \hat p(y)\big)\Big),
        \qquad \hat p(y) = \frac1N \sum_{i=1}^N p(y \mid x_i)

    :cite:p:`salimans2016improved`. High when each image is confidently one digit
    and the digits are varied: it lies between 1 (every image gets the same
    prediction) and 10 (confident predictions, spread evenly). Not an
    Inception Score: the classifier differs, and, unlike :cite:t:`salimans2016improved`, it
    is computed once over all N images rather than averaged over 10 splits.
    """
    check_images("images", images)
    log_p = log_probs(images, classifier, batch_size)  # (N, 10) float64
    p = log_p.exp()
    p_y = p.mean(dim=0, keepdim=True)  # (1, 10)
    kl = (torch.where(p > 0, p * log_p, torch.zeros_like(p)) - torch.special.xlogy(p, p_y)).sum(dim=1)  # (N,)
    return float(torch.exp(kl.mean().clamp_min(0)))  # KL >= 0; rounding can dip below


def mean_confidence(
    images: torch.Tensor, classifier: MNISTClassifier | None = None, batch_size: int = BATCH_SIZE
) -> float:
    r"""The classifier's mean confidence, :math:`\frac1N \sum_i \max_k p(y = k \mid x_i)`.

    1 when the classifier is certain of every image, 0.1 when it cannot tell
    any digit from the others. Real held-out digits score close to 1. It is a
    weak check on its own: like most classifiers, this one is fairly sure of
    itself even on blobs that look like no digit (an untrained generator's
    samples score well above 0.5), so read it beside the Frechet distance.
    """
    check_images("images", images)
    log_p = log_probs(images, classifier, batch_size)  # (N, 10) float64
    return float(log_p.max(dim=1).values.exp().mean())


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
    r"""The Frechet (2-Wasserstein squared) distance between two Gaussians :cite:p:`dowson1982frechet`.

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
    for name, value, shape in (
        ("mu_a", mu_a, (d,)),
        ("mu_b", mu_b, (d,)),
        ("cov_a", cov_a, (d, d)),
        ("cov_b", cov_b, (d, d)),
    ):
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
    batch_size: int = BATCH_SIZE,
) -> float:
    r"""The *classifier Frechet distance* between two sets of images (lower is closer).

    FID's formula :cite:p:`heusel2017gans` on this course's classifier: fit a
    Gaussian (mean :math:`\mu`, covariance :math:`S`, with the :math:`N - 1`
    denominator) to each set's 64-d :func:`classifier_features` and return

    .. math::
        \lVert \mu_a - \mu_b \rVert^2 + \mathrm{Tr}\big(S_a + S_b - 2\,(S_a S_b)^{1/2}\big)

    (:func:`frechet_distance_gaussians`). Not an FID: the features are not
    Inception-v3's, so the numbers are on another scale. Like the FID it is
    biased upwards for small sets: compare models with the same N (each set
    needs at least 2 images; a few hundred or more give stable values).
    """
    check_images("images_a", images_a, min_count=2)
    check_images("images_b", images_b, min_count=2)
    stats = []
    for images in (images_a, images_b):
        feats = (
            run_batches(images, classifier, batch_size, lambda model, x: model.features(x)).double().numpy()
        )  # (N, 64)
        stats += [feats.mean(axis=0), np.cov(feats, rowvar=False)]
    return frechet_distance_gaussians(*stats)


def nyquist_energy(images: torch.Tensor) -> float:
    r"""Mean share of each image's energy at the Nyquist frequencies: the checkerboard's measure.

    A pattern that repeats every 2 pixels (a checkerboard, or stripes one
    pixel wide) lives at the three frequencies of the 2-D DFT
    :math:`X[k, l]` with period 2: :math:`(H/2, 0)`, :math:`(0, W/2)` and
    :math:`(H/2, W/2)`, where

    .. math::
        X[H/2, W/2] = \sum_{i,j} x_{ij} (-1)^{i+j}, \quad
        X[H/2, 0] = \sum_{i,j} x_{ij} (-1)^{i}, \quad
        X[0, W/2] = \sum_{i,j} x_{ij} (-1)^{j}.

    The share is their energy over all the energy but the mean's (by
    Parseval, :math:`\sum_{(k,l) \ne (0,0)} |X[k,l]|^2 = HW \sum_{i,j} (x_{ij} - \bar x)^2`),
    averaged over the images: 1 for a pure checkerboard, :math:`3 / (HW - 1)`
    in expectation for white noise, and 0 for a constant image (which has no
    energy but its mean). ``images``: ``(N, 1, 28, 28)`` in ``[-1, 1]``.
    """
    x = check_images("images", images).detach().cpu().double()[:, 0]  # (N, 28, 28)
    H, W = x.shape[-2:]
    sign_i = torch.tensor([(-1.0) ** i for i in range(H)], dtype=torch.float64).view(H, 1)  # (H, 1)
    sign_j = torch.tensor([(-1.0) ** j for j in range(W)], dtype=torch.float64).view(1, W)  # (1, W)
    at_nyquist = sum((x * s).sum(dim=(1, 2)) ** 2 for s in (sign_i * sign_j, sign_i, sign_j))  # (N,)
    total = H * W * ((x - x.mean(dim=(1, 2), keepdim=True)) ** 2).sum(dim=(1, 2))  # (N,)
    share = torch.where(total > 0, at_nyquist / total.clamp_min(1e-300), torch.zeros_like(total))
    return float(share.mean())
