"""The metrics' numbers against second implementations (NumPy, SciPy, closed forms) on real digits."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from gan_helpers import metrics
from gan_helpers.mnist import load_mnist


@pytest.fixture(scope="module")
def heldout():
    return load_mnist("bundled", "heldout")[0][:300]


def test_class_histogram_is_the_bincount_of_the_argmax(heldout):
    labels = metrics.predict(heldout).argmax(1).numpy()
    assert metrics.class_histogram(heldout).tolist() == np.bincount(labels, minlength=10).tolist()


def test_kl_to_uniform_is_scipys_relative_entropy(heldout):
    counts = metrics.class_histogram(heldout).numpy()
    assert metrics.kl_to_uniform(heldout) == pytest.approx(stats.entropy(counts, np.full(10, 0.1)), rel=1e-12)


def test_classes_covered_counts_shares_at_or_above_the_bar(heldout):
    labels = metrics.predict(heldout).argmax(1)
    a, b = heldout[labels == labels[0]][:1], heldout[labels != labels[0]][:1]
    images = torch.cat([a.repeat(97, 1, 1, 1), b.repeat(3, 1, 1, 1)])  # shares 0.97 and 0.03
    assert metrics.classes_covered(images, min_share=0.03) == 2  # exactly at the bar counts
    assert metrics.classes_covered(images, min_share=0.031) == 1
    assert metrics.classes_covered(images, min_share=0.0) == 2  # a class with no image never counts


def test_classifier_score_is_exp_of_the_mean_kl_to_the_marginal(heldout):
    p = metrics.predict(heldout).double().numpy()
    marginal = p.mean(0)
    kl = np.array([stats.entropy(row, marginal) for row in p])
    assert metrics.classifier_score(heldout) == pytest.approx(math.exp(kl.mean()), rel=1e-5)


def test_mean_confidence_is_the_mean_of_the_largest_probability(heldout):
    p = metrics.predict(heldout).double().numpy()  # (N, 10) probabilities
    assert metrics.mean_confidence(heldout) == pytest.approx(p.max(axis=1).mean(), rel=1e-6)
    assert metrics.mean_confidence(heldout) > 0.9  # real digits: a confident classifier
    with pytest.raises(ValueError, match="images"):
        metrics.mean_confidence(torch.zeros(3, 28, 28))


def test_mean_confidence_is_high_even_on_an_untrained_generators_blobs(heldout):
    from gan_helpers.dcgan import DCGANGenerator

    G = DCGANGenerator(64, widths=(64, 32, 16), generator=torch.Generator().manual_seed(0)).eval()
    with torch.no_grad():
        blobs = G(torch.randn(300, 64, generator=torch.Generator().manual_seed(1)))
    assert 0.5 < metrics.mean_confidence(blobs) < metrics.mean_confidence(heldout)  # as its docstring warns


def test_frechet_distance_of_gaussians_closed_form_in_two_dimensions():
    # Tr (S_a S_b)^(1/2) for 2 x 2: sqrt(Tr(M) + 2 sqrt(det M)), M = S_a S_b (eigenvalues real, >= 0)
    sa = np.array([[2.0, 0.6], [0.6, 1.0]])
    sb = np.array([[1.0, -0.3], [-0.3, 0.5]])
    m = sa @ sb
    trace_root = math.sqrt(np.trace(m) + 2 * math.sqrt(np.linalg.det(m)))
    mu_a, mu_b = np.array([1.0, -2.0]), np.array([0.5, 0.0])
    expected = 0.25 + 4.0 + np.trace(sa) + np.trace(sb) - 2 * trace_root
    assert metrics.frechet_distance_gaussians(mu_a, sa, mu_b, sb) == pytest.approx(expected, rel=1e-10)
    # one dimension: (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2
    assert metrics.frechet_distance_gaussians([3.0], [[4.0]], [1.0], [[9.0]]) == pytest.approx(4.0 + 1.0, rel=1e-12)


def test_frechet_distance_uses_the_unbiased_covariance_of_the_features(heldout):
    a, b = heldout[:150], heldout[150:]
    fa, fb = (metrics.classifier_features(x).double().numpy() for x in (a, b))
    ca = (fa - fa.mean(0)).T @ (fa - fa.mean(0)) / (len(fa) - 1)
    cb = (fb - fb.mean(0)).T @ (fb - fb.mean(0)) / (len(fb) - 1)
    trace_root = np.sqrt(np.clip(np.linalg.eigvals(ca @ cb).real, 0, None)).sum()
    expected = np.sum((fa.mean(0) - fb.mean(0)) ** 2) + np.trace(ca) + np.trace(cb) - 2 * trace_root
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
