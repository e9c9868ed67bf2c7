"""Lesson 9's metrics (gan_helpers.evaluation): by hand, against maintained implementations, and on constructed failures.

The cross-checks need the ``test`` extra's ``prdc`` (the reference code of
Naeem et al. 2020) and ``torchmetrics``; each skips with a message naming the
package when it is missing.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import warnings

import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm
from scipy.spatial.distance import cdist

from gan_helpers import evaluation as ev
from gan_helpers import metrics, pretrained
from gan_helpers.mnist import load_mnist

N = 300  # the sanity suite's sample size (every set, reference included)


@pytest.fixture(scope="module")
def digits():
    x_train, y_train = load_mnist("bundled", "train")
    x_held, _ = load_mnist("bundled", "heldout")
    return x_train, y_train, x_held


# ----------------------------------------------------------------------------
# By hand
# ----------------------------------------------------------------------------


def line(*values):
    return torch.tensor(values, dtype=torch.float64)[:, None]  # 1-D points as (N, 1) features


def test_knn_radii_are_the_kth_nearest_other_point():
    x = line(0, 1, 3, 7)
    assert ev.knn_radii(x, 1).tolist() == [1, 1, 2, 4]
    assert ev.knn_radii(x, 2).tolist() == [3, 2, 3, 6]
    rng = np.random.default_rng(0)
    y = rng.normal(size=(40, 5))
    by_sort = np.sort(cdist(y, y), axis=1)[:, 3]  # column 0 is the point itself
    np.testing.assert_allclose(ev.knn_radii(y, 3), by_sort, rtol=1e-12)


def test_precision_recall_by_hand_and_not_swapped():
    real = line(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)  # radii with k=1: all 1
    collapsed = line(0, 0.25, 0.5)  # realistic but all near one real point; fake radii 0.25
    assert ev.precision_recall(real, collapsed, k=1) == (1.0, 0.1)  # precision of the fakes, recall of the reals
    fake = line(0.5, 0.6, 0.7, 20)  # three inside the real balls, one far away; fake radii 0.1, 0.1, 0.1, 19.3
    precision, recall = ev.precision_recall(real, fake, k=1)
    assert precision == 3 / 4
    # the outlier's ball (radius 19.3) holds the real points 1..9; the small balls hold none; 0 is 20 away
    assert recall == 9 / 10


def test_density_coverage_by_hand():
    real = line(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
    radii = ev.knn_radii(real, 2)
    assert radii.tolist() == [2, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    fake = line(0.5, 0.5, 9, 30)
    density, coverage = ev.density_coverage(real, fake, k=2)
    # 0.5 lies in the balls of 0 (r 2), 1 (r 1): 2 each; 9 in the balls of 8 (r 1) and 9 (r 2): 2; 30 in none
    assert density == pytest.approx((2 + 2 + 2 + 0) / (2 * 4))
    # balls holding a fake point: 0, 1, 8, 9
    assert coverage == pytest.approx(4 / 10)


def test_balls_are_closed_a_point_on_the_radius_counts():
    real = line(0, 1, 3)  # k=1 radii: 1, 1, 2
    fake = line(1, 5)  # 1 is at distance exactly 1 from 0 (0's radius) and 2 from 3 (3's radius); 5 at 2 from 3
    precision, _ = ev.precision_recall(real, fake, k=1)
    density, coverage = ev.density_coverage(real, fake, k=1)
    assert precision == 1.0  # 5 lies exactly on the ball of 3
    assert density == pytest.approx((3 + 1) / 2)  # 1 is in the balls of 0, 1 (itself) and 3; 5 in the ball of 3
    assert coverage == 1.0


def test_frechet_distance_features_is_the_images_version_and_the_formula(digits):
    x_train, _, x_held = digits
    a, b = x_train[:300], x_held[:300]
    fa, fb = metrics.classifier_features(a), metrics.classifier_features(b)
    assert ev.frechet_distance_features(fa, fb) == pytest.approx(metrics.frechet_distance(a, b), rel=1e-12)
    fa, fb = fa.double().numpy(), fb.double().numpy()
    sa, sb = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # features that are 0 for every digit make the covariances singular
        root = np.real(sqrtm(sa @ sb))
    by_hand = ((fa.mean(0) - fb.mean(0)) ** 2).sum() + np.trace(sa + sb - 2 * root)
    assert ev.frechet_distance_features(fa, fb) == pytest.approx(by_hand, rel=1e-6)


def test_nearest_neighbours_is_scipys_and_a_copy_is_exactly_zero(digits):
    x_train, _, x_held = digits
    samples = torch.cat([x_held[:50], x_train[[7, 123, 3999]]])
    distance, index = ev.nearest_neighbours(samples, x_train)
    d = cdist(samples.flatten(1).double().numpy(), x_train.flatten(1).double().numpy())
    np.testing.assert_allclose(distance, d.min(1), rtol=1e-10)
    assert index[-3:].tolist() == [7, 123, 3999] and distance[-3:].tolist() == [0, 0, 0]
    assert (distance[:50] > 1).all()  # held-out digits are not copies


# ----------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------


def test_too_few_samples_are_refused_with_what_was_expected():
    f64, f65 = torch.randn(64, 64), torch.randn(65, 64)
    with pytest.raises(
        ValueError, match=r"features_a: .* 64-dimensional features needs more than 64 samples .* got 64"
    ):
        ev.frechet_distance_features(f64, f65)
    with pytest.raises(ValueError, match="features_b: .* got 64"):
        ev.frechet_distance_features(f65, f64)
    assert ev.frechet_distance_features(f65, f65) == pytest.approx(0, abs=1e-9)
    with pytest.raises(ValueError, match=r"real_features: k-NN radii with k=3 need more than k samples .* got 3"):
        ev.precision_recall(torch.randn(3, 2), torch.randn(10, 2))
    with pytest.raises(ValueError, match=r"fake_features: .* k=3 .* got 2"):
        ev.precision_recall(torch.randn(10, 2), torch.randn(2, 2))
    with pytest.raises(ValueError, match=r"real_features: .* k=5 .* got 5"):
        ev.density_coverage(torch.randn(5, 2), torch.randn(10, 2))
    assert ev.density_coverage(torch.randn(6, 2), torch.randn(1, 2))[0] >= 0  # density needs only the real radii


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ev.precision_recall(torch.randn(10), torch.randn(10, 2)), r"real_features must have shape \(N, d\)"),
        (lambda: ev.precision_recall(torch.randn(10, 2), torch.randn(10, 3)), "same dimension, got 2 and 3"),
        (
            lambda: ev.density_coverage(torch.randn(10, 2), torch.full((10, 2), float("nan"))),
            "fake_features must be finite",
        ),
        (lambda: ev.precision_recall(torch.randn(10, 2), torch.randn(10, 2), k=0), "k"),
        (lambda: ev.knn_radii([[0.0]], 1), "features must be a tensor or NumPy array"),
        (lambda: ev.nearest_neighbours(torch.zeros(3, 1, 28, 28), torch.zeros(3, 784)), "same item shape"),
        (lambda: ev.nearest_neighbours(torch.zeros(3), torch.zeros(3)), "samples must be a tensor"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------
# Against maintained implementations
# ----------------------------------------------------------------------------


def _prdc(real, fake, k):
    prdc = pytest.importorskip("prdc", reason="prdc (pip install prdc, the test extra) is needed for this cross-check")
    with contextlib.redirect_stdout(io.StringIO()):  # it prints the set sizes
        return prdc.compute_prdc(np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64), nearest_k=k)


@pytest.mark.parametrize("n_real, n_fake, dim, k", [(200, 150, 8, 3), (120, 300, 64, 5), (50, 50, 2, 1)])
def test_prdc_agrees_on_random_features(n_real, n_fake, dim, k):
    rng = np.random.default_rng(n_real + dim)
    real = rng.normal(size=(n_real, dim))
    fake = rng.normal(0.3, 1.2, size=(n_fake, dim))
    ours = ev.precision_recall(real, fake, k) + ev.density_coverage(real, fake, k)
    theirs = _prdc(real, fake, k)
    assert ours == pytest.approx(tuple(theirs[m] for m in ("precision", "recall", "density", "coverage")), abs=1e-12)


def test_prdc_agrees_on_classifier_features_of_digits_and_a_generator(digits):
    x_train, _, x_held = digits
    G = pretrained.load_generator("mlp-gan-mnist")
    with torch.no_grad():
        x_fake = G(torch.randn(N, 64, generator=torch.Generator().manual_seed(0)))
    real = metrics.classifier_features(x_train[:N])
    for other in (x_held[:N], x_fake):
        fake = metrics.classifier_features(other)
        p, r = ev.precision_recall(real, fake, 3)
        d, c = ev.density_coverage(real, fake, 5)
        pr, dc = _prdc(real, fake, 3), _prdc(real, fake, 5)
        assert (p, r, d, c) == pytest.approx((pr["precision"], pr["recall"], dc["density"], dc["coverage"]), abs=1e-12)


def test_prdc_uses_open_balls_and_differs_only_on_a_tie():
    real, fake = np.array([[0.0], [1.0], [3.0]]), np.array([[1.0], [5.0], [6.0]])  # real radii (k=1): 1, 1, 2
    theirs = _prdc(real, fake, 1)
    assert theirs["precision"] == pytest.approx(1 / 3)  # 5 lies exactly on the ball of 3: outside an open ball
    assert ev.precision_recall(real, fake, 1)[0] == pytest.approx(2 / 3)


class Features(torch.nn.Module):
    """The course classifier's 64-d features as a module for torchmetrics' ``feature=`` argument."""

    num_features = 64

    def __init__(self):
        super().__init__()
        self.classifier = metrics.load_classifier()

    def forward(self, x):
        return self.classifier.features(x)


def test_torchmetrics_frechet_distance_agrees_on_the_same_features(digits):
    fid_module = pytest.importorskip(
        "torchmetrics.image.fid",
        reason="torchmetrics (pip install torchmetrics, the test extra) is needed for this cross-check",
    )
    x_train, _, x_held = digits
    a, b = x_train[:500], x_held[:400]
    fid = fid_module.FrechetInceptionDistance(feature=Features(), normalize=True)
    fid.update(a, real=True)
    fid.update(b, real=False)
    theirs = float(fid.compute())
    ours = ev.frechet_distance_features(metrics.classifier_features(a), metrics.classifier_features(b))
    assert ours == pytest.approx(theirs, rel=1e-6)
    assert metrics.frechet_distance(a, b) == pytest.approx(theirs, rel=1e-6)


# ----------------------------------------------------------------------------
# The sanity suite: each metric on constructed failures
# ----------------------------------------------------------------------------


def constructed_sets(digits, seed):
    """Lesson 9's sanity suite: the reference, real held-out digits and four failures, N digits each."""
    x_train, y_train, x_held = digits
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x_train), generator=g)
    reference, rest = x_train[order[:N]], order[N:]
    G = pretrained.load_generator("mlp-gan-mnist")
    z = torch.randn(N, 64, generator=g)
    with torch.no_grad():
        x_fake, truncated = G(z), G(0.5 * z)
    sets = {
        "real": x_held[torch.randperm(len(x_held), generator=g)[:N]],
        "memorised": x_train[rest[:N]],  # training digits, none of them in the reference
        "collapsed": x_train[rest[y_train[rest] == 7][:N]],  # one class
        "G": x_fake,
        "truncated": truncated,  # the same z, scaled by 0.5
        "noise": torch.rand(N, 1, 28, 28, generator=g) * 2 - 1,
    }
    return reference, sets


@pytest.fixture(scope="module", params=[0, 1, 2])
def suite(request, digits):
    reference, sets = constructed_sets(digits, request.param)
    return {name: ev.evaluate(images, reference, digits[0]) for name, images in sets.items()}


def test_the_suite_sets_are_the_size_the_metrics_compare(suite):
    assert {s.n for s in suite.values()} == {N}


def test_memorised_digits_score_like_real_ones_and_only_the_copy_check_sees_them(suite):
    real, mem = suite["real"], suite["memorised"]
    for metric, tolerance in (("precision", 0.1), ("recall", 0.1), ("density", 0.2), ("coverage", 0.05)):
        assert abs(getattr(mem, metric) - getattr(real, metric)) < tolerance, metric
    assert mem.frechet < 2.5 * real.frechet and mem.classes == 10
    assert mem.nearest_train == 0 and real.nearest_train > 5


def test_collapse_lowers_recall_and_coverage_not_precision(suite):
    real, col = suite["real"], suite["collapsed"]
    assert col.classes == 1
    assert col.recall < 0.3 and col.coverage < 0.3  # one class of ten is covered
    assert (
        col.precision > 0.75 and col.precision > real.precision - 0.1
    )  # each sample is a real digit: swapped P/R fail here
    assert col.frechet > 10 * real.frechet


def test_truncation_lowers_recall_and_coverage_and_raises_the_distance(suite):
    g, tr = suite["G"], suite["truncated"]
    assert tr.recall < g.recall - 0.15 and tr.coverage < g.coverage - 0.05
    assert tr.frechet > 2 * g.frechet


def test_noise_is_caught_by_the_distance_recall_and_coverage(suite):
    real, noise = suite["real"], suite["noise"]
    assert noise.frechet > 20 * real.frechet
    assert noise.recall < 0.05 and noise.coverage < 0.05 and noise.density < 0.75 * real.density
    assert noise.classes <= 2


def test_noise_fools_precision_as_lesson_9_shows(digits):
    """A known weakness (Naeem et al. 2020), kept visible: noise lands in the large balls of a few real outliers."""
    precisions = []
    for seed in (0, 1, 2):
        reference, sets = constructed_sets(digits, seed)
        precisions.append(
            ev.precision_recall(metrics.classifier_features(reference), metrics.classifier_features(sets["noise"]))[0]
        )
    assert max(precisions) > 0.5 and np.mean(precisions) > 0.3


def test_the_ceiling_is_near_the_top_of_every_metric(suite):
    real = suite["real"]
    assert real.precision > 0.8 and real.recall > 0.8 and real.coverage > 0.9 and 0.8 < real.density < 1.2
    assert real.classes == 10
    for name, other in suite.items():
        if name not in ("real", "memorised"):
            assert other.frechet > real.frechet and other.coverage < real.coverage, name


def test_evaluate_is_the_sum_of_its_parts(digits):
    x_train, _, x_held = digits
    images, reference = x_held[:120], x_train[:150]
    row = ev.evaluate(images, reference, x_train)
    fi, fr = metrics.classifier_features(images), metrics.classifier_features(reference)
    assert (row.precision, row.recall) == ev.precision_recall(fr, fi, 3)
    assert (row.density, row.coverage) == ev.density_coverage(fr, fi, 5)
    assert row.frechet == ev.frechet_distance_features(fr, fi)
    assert row.nearest_train == float(np.median(ev.nearest_neighbours(images, x_train)[0]))
    assert row.classes == metrics.classes_covered(images) and row.n == 120
    assert np.isnan(ev.evaluate(images, reference).nearest_train)
    assert list(itertools.islice(ev.Evaluation.__dataclass_fields__, 8)) == [
        "n",
        "frechet",
        "precision",
        "recall",
        "density",
        "coverage",
        "classes",
        "nearest_train",
    ]
