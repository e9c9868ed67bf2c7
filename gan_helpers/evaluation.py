r"""Evaluating a generator: fidelity, diversity and copying, in the classifier's feature space.

Lesson 9's metrics. Each compares a set of generated samples with a set of
real *reference* digits, through :func:`~gan_helpers.metrics.classifier_features`
(the course classifier's 64-d penultimate features :math:`\phi(x)`); real
features :math:`X_1, \dots, X_N`, generated features :math:`Y_1, \dots, Y_M`.

* :func:`frechet_distance_features`: the Frechet distance of Gaussians fitted
  to the two sets of features :cite:p:`heusel2017gans`, as
  :func:`~gan_helpers.metrics.frechet_distance` computes it from images, but
  refusing sets with no more samples than dimensions (their covariance is
  singular, and the distance mostly measures the sample size).
* :func:`precision_recall` :cite:p:`kynkaanniemi2019improved`. With
  :math:`r_k(X_i)` the distance from :math:`X_i` to its k-th nearest other
  real point, the real *manifold* is the union of the balls
  :math:`B(X_i, r_k(X_i))`; precision is the share of generated points inside
  it, recall the share of real points inside the generated manifold (the
  same construction with the roles swapped):

  .. math::
      P = \frac1M \sum_{j} \mathbb 1\big[\exists i: \lVert Y_j - X_i \rVert \le r_k(X_i)\big],
      \qquad
      R = \frac1N \sum_{i} \mathbb 1\big[\exists j: \lVert X_i - Y_j \rVert \le r_k(Y_j)\big].

* :func:`density_coverage` :cite:p:`naeem2020reliable`: density counts how
  many real balls each generated point falls in (about 1 when the two sets
  match, above 1 for samples crowded where the real points are dense);
  coverage is the share of real points whose ball holds a generated point:

  .. math::
      D = \frac{1}{kM} \sum_{j} \sum_{i} \mathbb 1\big[\lVert Y_j - X_i \rVert \le r_k(X_i)\big],
      \qquad
      C = \frac1N \sum_{i} \mathbb 1\big[\min_j \lVert Y_j - X_i \rVert \le r_k(X_i)\big].

* :func:`nearest_neighbours`: each sample's distance to its nearest training
  image, the check that none of the above makes: a generator that copies its
  training digits scores like real data on all of them.
* :func:`evaluate`: one row of lesson 9's table, every metric on one set.

The balls are closed (:math:`\le`), as in :cite:t:`kynkaanniemi2019improved`;
the reference code of :cite:t:`naeem2020reliable` (the ``prdc`` package) uses
open balls (:math:`<`). The two differ only when a distance equals a radius
exactly, which happens when a sample is an exact copy of a reference point.
Distances are computed in float64 from the differences of the vectors, so a
copy's distance is exactly 0 and equal pairs give equal distances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .metrics import classes_covered, classifier_features, frechet_distance_gaussians
from .utils import check_int

__all__ = [
    "K_PRECISION_RECALL",
    "K_DENSITY_COVERAGE",
    "pairwise_distances",
    "knn_radii",
    "precision_recall",
    "density_coverage",
    "frechet_distance_features",
    "nearest_neighbours",
    "Evaluation",
    "evaluate",
]

#: k of the k-NN radii for precision and recall, the default of :cite:t:`kynkaanniemi2019improved`.
K_PRECISION_RECALL = 3
#: k for density and coverage, the default of :cite:t:`naeem2020reliable`.
K_DENSITY_COVERAGE = 5
#: Entries of one block of the memorisation check's products (rows x training items): 64 MB of float64.
_BLOCK = 1 << 23


def _features(name: str, x, min_count: int = 1) -> torch.Tensor:
    """``x`` (N, d) as a float64 tensor on its device, or ``ValueError`` naming ``name``."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a tensor or NumPy array of shape (N, d), got {type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape (N, d) (one row per sample), got shape {tuple(x.shape)}")
    if x.shape[0] < min_count:
        raise ValueError(f"{name} must hold at least {min_count} samples, got {x.shape[0]}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite (no NaN or infinite values)")
    return x.detach().to(torch.float64)


def _pair(real, fake, min_count: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    real, fake = _features("real_features", real, min_count), _features("fake_features", fake, min_count)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real_features and fake_features must have the same dimension, got {real.shape[1]} and {fake.shape[1]}"
        )
    return real, fake.to(real.device)


def pairwise_distances(a, b) -> torch.Tensor:
    r"""Euclidean distances :math:`\lVert a_i - b_j \rVert`, float64 ``(N, M)`` on ``a``'s device.

    From the differences (``torch.cdist`` without its dot-product shortcut):
    exact for copies (distance 0), and the same number for the same pair
    wherever it sits in the matrix.
    """
    a, b = _features("a", a), _features("b", b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same dimension, got {a.shape[1]} and {b.shape[1]}")
    return torch.cdist(a, b.to(a.device), compute_mode="donot_use_mm_for_euclid_dist")  # never the dot-product form


def _radii(x: torch.Tensor, k: int, name: str) -> torch.Tensor:
    if x.shape[0] <= k:
        raise ValueError(
            f"{name}: k-NN radii with k={k} need more than k samples (a k-th nearest other one), got {x.shape[0]}"
        )
    d = pairwise_distances(x, x)
    d.fill_diagonal_(float("inf"))  # a point is not its own neighbour
    return d.kthvalue(k, dim=1).values  # (N,)


def knn_radii(features, k: int = K_PRECISION_RECALL) -> np.ndarray:
    r""":math:`r_k(X_i)`: each point's distance to its k-th nearest *other* point, float64 ``(N,)``.

    Needs more than ``k`` points (``ValueError`` otherwise).
    """
    k = check_int("k", k, minimum=1)
    return _radii(_features("features", features), k, "features").cpu().numpy()


def precision_recall(real_features, fake_features, k: int = K_PRECISION_RECALL) -> tuple[float, float]:
    r"""``(precision, recall)`` with k-NN manifolds :cite:p:`kynkaanniemi2019improved` (formulas above).

    Precision is about the *generated* points (are they realistic?), recall
    about the *real* ones (is each one near something generated?). A
    collapsed generator that draws one digit well has high precision and low
    recall. Both sets need more than ``k`` points.
    """
    k = check_int("k", k, minimum=1)
    real, fake = _pair(real_features, fake_features)
    r_real, r_fake = _radii(real, k, "real_features"), _radii(fake, k, "fake_features")
    d = pairwise_distances(real, fake)  # (N, M)
    precision = (d <= r_real[:, None]).any(dim=0).double().mean()  # over the generated points
    recall = (d <= r_fake[None, :]).any(dim=1).double().mean()  # over the real points
    return float(precision), float(recall)


def density_coverage(real_features, fake_features, k: int = K_DENSITY_COVERAGE) -> tuple[float, float]:
    r"""``(density, coverage)`` :cite:p:`naeem2020reliable` (formulas above); only the real points' radii.

    Density lies in :math:`[0, N/k]` and is about 1 for samples distributed as
    the real ones; coverage lies in :math:`[0, 1]`. The real set needs more
    than ``k`` points.
    """
    k = check_int("k", k, minimum=1)
    real, fake = _pair(real_features, fake_features)
    r_real = _radii(real, k, "real_features")
    inside = pairwise_distances(real, fake) <= r_real[:, None]  # (N, M): Y_j in the ball of X_i
    density = inside.double().sum(dim=0).mean() / k
    coverage = inside.any(dim=1).double().mean()
    return float(density), float(coverage)


def frechet_distance_features(features_a, features_b) -> float:
    r"""The Frechet distance between Gaussians fitted to two sets of features (``(N, d)`` each).

    Mean and covariance (:math:`N - 1` denominator) of each set, then
    :func:`~gan_helpers.metrics.frechet_distance_gaussians`. On
    :func:`~gan_helpers.metrics.classifier_features` it is
    :func:`~gan_helpers.metrics.frechet_distance`. Each set needs more than
    ``d`` samples, else its covariance is singular: ``ValueError``. Even
    above that it is biased upwards, by a term that shrinks roughly as
    :math:`1/N`: compare only distances computed with the same ``N``.
    """
    a, b = _pair(features_a, features_b)
    stats = []
    for name, x in (("features_a", a), ("features_b", b)):
        n, d = x.shape
        if n <= d:
            raise ValueError(
                f"{name}: the Frechet distance of {d}-dimensional features needs more than {d} samples "
                f"(a full-rank covariance), got {n}"
            )
        x = x.cpu().numpy()
        stats += [x.mean(axis=0), np.cov(x, rowvar=False)]
    return frechet_distance_gaussians(*stats)


def nearest_neighbours(samples: torch.Tensor, train: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    r"""Each sample's Euclidean distance to its nearest ``train`` item, and that item's index.

    ``samples`` ``(M, ...)`` and ``train`` ``(N, ...)`` with the same trailing
    shape (images ``(·, 1, 28, 28)`` compare pixel by pixel, in the units of
    :math:`[-1, 1]` pixels; features ``(·, d)`` in feature space). Returns
    float64 distances ``(M,)`` and int64 indices ``(M,)`` as NumPy arrays.
    The nearest candidates are found with :math:`\lVert a\rVert^2 + \lVert b\rVert^2 - 2a\cdot b`
    and their distance is then recomputed from the difference, so a copy's is exactly 0.
    """
    for name, x in (("samples", samples), ("train", train)):
        if not isinstance(x, torch.Tensor) or x.dim() < 2 or x.shape[0] < 1:
            raise ValueError(
                f"{name} must be a tensor (N, ...) with at least one item, got {getattr(x, 'shape', type(x).__name__)}"
            )
    if samples.shape[1:] != train.shape[1:]:
        raise ValueError(
            f"samples and train must have the same item shape, got {tuple(samples.shape[1:])} and {tuple(train.shape[1:])}"
        )
    a = _features("samples", samples.flatten(1))
    b = _features("train", train.flatten(1)).to(a.device)
    b_sq = (b**2).sum(1)  # (N,)
    rows = max(1, _BLOCK // max(1, b.shape[0]))
    index = torch.cat(
        [(b_sq[None] - 2 * a[i : i + rows] @ b.T).argmin(dim=1) for i in range(0, a.shape[0], rows)]
    )  # (M,)
    distance = ((a - b[index]) ** 2).sum(1).sqrt()  # (M,)
    return distance.cpu().numpy(), index.cpu().numpy()


@dataclass(frozen=True)
class Evaluation:
    """One set of samples against one reference set (:func:`evaluate`).

    ``n``: samples; ``frechet``: :func:`frechet_distance_features`;
    ``precision``, ``recall`` (k = ``K_PRECISION_RECALL``); ``density``,
    ``coverage`` (k = ``K_DENSITY_COVERAGE``); ``classes``:
    :func:`~gan_helpers.metrics.classes_covered`; ``nearest_train``: the median
    pixel distance of a sample to its nearest training digit (NaN when no
    training digits were given).
    """

    n: int
    frechet: float
    precision: float
    recall: float
    density: float
    coverage: float
    classes: int
    nearest_train: float


def evaluate(
    images: torch.Tensor,
    reference: torch.Tensor,
    train: torch.Tensor | None = None,
    classifier=None,
    k_pr: int = K_PRECISION_RECALL,
    k_dc: int = K_DENSITY_COVERAGE,
) -> Evaluation:
    """Every metric of lesson 9 for ``images`` against the real ``reference`` digits (both ``(N, 1, 28, 28)``).

    ``train``: the generator's training digits, for the copying check
    (``nearest_train``); ``classifier``: the model whose features are used
    (default: the shipped one). Use the same ``reference`` and the same
    number of images for every model compared.
    """
    fake = classifier_features(images, classifier)
    real = classifier_features(reference, classifier)
    precision, recall = precision_recall(real, fake, k_pr)
    density, coverage = density_coverage(real, fake, k_dc)
    nearest = float(np.median(nearest_neighbours(images, train)[0])) if train is not None else float("nan")
    return Evaluation(
        n=int(images.shape[0]),
        frechet=frechet_distance_features(real, fake),
        precision=precision,
        recall=recall,
        density=density,
        coverage=coverage,
        classes=classes_covered(images, classifier=classifier),
        nearest_train=nearest,
    )
