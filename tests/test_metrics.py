import hashlib
import math
import re
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_helpers import metrics
from gan_helpers.data import load_mnist

#: every metric that takes a batch of images and checks it with check_images
IMAGE_METRICS = [
    metrics.predict,
    metrics.class_histogram,
    metrics.classes_covered,
    metrics.kl_to_uniform,
    metrics.classifier_score,
    metrics.classifier_features,
    metrics.mean_confidence,
]


@pytest.fixture(scope="module")
def heldout():
    return load_mnist("bundled", "heldout")


@pytest.fixture(scope="module")
def train():
    return load_mnist("bundled", "train")


@pytest.fixture(scope="module")
def noise():
    return torch.rand(1000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1


@pytest.fixture(scope="module")
def one_digit(heldout):
    return heldout[0][:1].repeat(300, 1, 1, 1)  # (300, 1, 28, 28): the same digit 300 times


# ----------------------------------------------------------------------------
# The classifier and its weights
# ----------------------------------------------------------------------------


def test_classifier_shapes():
    model = metrics.MNISTClassifier()
    x = torch.zeros(3, 1, 28, 28)
    assert model(x).shape == (3, 10)
    assert model.features(x).shape == (3, 64)
    assert sum(p.numel() for p in model.parameters()) < 250_000


def test_weights_file_is_small_and_matches_its_checksum():
    path = metrics.CLASSIFIER_PATH
    assert path.is_file()
    assert path.stat().st_size < 1_000_000
    assert hashlib.sha256(path.read_bytes()).hexdigest() == metrics.CLASSIFIER_SHA256


def test_heldout_accuracy_is_at_least_96_percent(heldout):
    images, labels = heldout
    accuracy = (metrics.predict(images).argmax(dim=1) == labels).double().mean().item()
    assert accuracy >= 0.96, accuracy


def test_load_classifier_is_cached_frozen_and_in_eval_mode():
    model = metrics.load_classifier()
    assert model is metrics.load_classifier("cpu") is metrics.load_classifier(torch.device("cpu"))
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert next(model.parameters()).device == torch.device("cpu")


@pytest.fixture
def fresh_classifier_cache():
    metrics.load_classifier.cache_clear()
    yield
    metrics.load_classifier.cache_clear()


def test_corrupted_weights_are_refused(monkeypatch, tmp_path, fresh_classifier_cache):
    corrupted = tmp_path / "mnist_classifier.pt"
    raw = bytearray(metrics.CLASSIFIER_PATH.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # flip one byte
    corrupted.write_bytes(bytes(raw))
    monkeypatch.setattr(metrics, "CLASSIFIER_PATH", corrupted)
    with pytest.raises(RuntimeError, match="corrupted") as info:
        metrics.load_classifier()
    assert "make classifier" in str(info.value)
    assert metrics.CLASSIFIER_SHA256 in str(info.value)


def test_missing_weights_say_how_to_rebuild(monkeypatch, tmp_path, fresh_classifier_cache):
    monkeypatch.setattr(metrics, "CLASSIFIER_PATH", tmp_path / "absent.pt")
    with pytest.raises(RuntimeError, match="missing.*make classifier"):
        metrics.load_classifier()


# ----------------------------------------------------------------------------
# Predictions and class histograms
# ----------------------------------------------------------------------------


def test_predict_is_the_softmax_of_the_logits(heldout):
    images = heldout[0][:50]
    probs = metrics.predict(images)
    assert probs.shape == (50, 10) and probs.dtype == torch.float32
    assert torch.allclose(probs.sum(dim=1), torch.ones(50), atol=1e-5)
    with torch.no_grad():
        expected = torch.softmax(metrics.load_classifier()(images), dim=1)
    assert torch.allclose(probs, expected, atol=1e-5)


def test_batch_size_does_not_change_results(heldout):
    images = heldout[0][:97]
    assert torch.allclose(metrics.predict(images, batch_size=10), metrics.predict(images), atol=1e-6)
    assert torch.equal(metrics.class_histogram(images, batch_size=7), metrics.class_histogram(images))


def test_other_float_dtypes_are_accepted(heldout):
    images = heldout[0][:20]
    assert torch.allclose(metrics.predict(images.double()), metrics.predict(images), atol=1e-6)


def test_heldout_digits_cover_all_classes_evenly(heldout):
    images, labels = heldout
    counts = metrics.class_histogram(images)
    assert counts.shape == (10,) and counts.dtype == torch.int64 and counts.sum() == 1000
    assert metrics.classes_covered(images) == 10
    kl = metrics.kl_to_uniform(images)
    assert 0 <= kl < 0.02, kl
    true_share = torch.bincount(labels, minlength=10).double() / 1000
    assert kl == pytest.approx(float((true_share * torch.log(true_share * 10)).sum()), abs=0.01)


def test_one_repeated_digit_covers_one_class(one_digit):
    counts = metrics.class_histogram(one_digit)
    assert (counts > 0).sum() == 1 and counts.max() == 300
    assert metrics.classes_covered(one_digit) == 1
    assert metrics.kl_to_uniform(one_digit) == pytest.approx(math.log(10))


def test_classes_covered_ignores_small_shares(heldout, one_digit):
    images, labels = heldout
    mixed = torch.cat([one_digit, images[labels != labels[0]][:2]])  # 300 of one digit + 2 others
    assert metrics.classes_covered(mixed, min_share=0.0) >= 2
    assert metrics.classes_covered(mixed, min_share=0.01) == 1


def test_kl_to_uniform_formula():
    """Two classes, half each: KL = log 10 - log 2."""
    images, labels = load_mnist("bundled", "heldout")
    preds = metrics.predict(images).argmax(1)
    a = images[(preds == 0) & (labels == 0)][:40]
    b = images[(preds == 1) & (labels == 1)][:40]
    assert metrics.kl_to_uniform(torch.cat([a, b])) == pytest.approx(math.log(10) - math.log(2))


# ----------------------------------------------------------------------------
# Classifier score
# ----------------------------------------------------------------------------


def test_classifier_score_of_real_digits_beats_one_repeated_digit(heldout, one_digit):
    real = metrics.classifier_score(heldout[0])
    single = metrics.classifier_score(one_digit)
    assert 8.0 < real <= 10.0, real
    assert single == pytest.approx(1.0, abs=1e-6)
    assert real > single


def test_classifier_score_formula(heldout):
    images = heldout[0][:200]
    p = metrics.predict(images).double()
    p_y = p.mean(0)
    expected = math.exp((p * (p.log() - p_y.log())).sum(1).mean().item())
    assert metrics.classifier_score(images) == pytest.approx(expected, rel=1e-4)


# ----------------------------------------------------------------------------
# Classifier Frechet distance
# ----------------------------------------------------------------------------


def test_frechet_distance_of_gaussians_reference_answers():
    # 1-D: (m_a - m_b)^2 + (s_a - s_b)^2
    d = metrics.frechet_distance_gaussians([1.0], [[4.0]], [3.0], [[9.0]])
    assert d == pytest.approx((1 - 3) ** 2 + (2 - 3) ** 2)
    # diagonal covariances: sum of (sqrt(a_i) - sqrt(b_i))^2
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu_a, mu_b = np.zeros(3), np.array([1.0, 0.0, -1.0])
    d = metrics.frechet_distance_gaussians(mu_a, np.diag(a), mu_b, np.diag(b))
    assert d == pytest.approx(2 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))
    # rotation-invariant
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    rotated = metrics.frechet_distance_gaussians(q @ mu_a, q @ np.diag(a) @ q.T, q @ mu_b, q @ np.diag(b) @ q.T)
    assert rotated == pytest.approx(d)


def test_frechet_distance_gaussians_checks_shapes():
    with pytest.raises(ValueError, match=r"cov_b must have shape \(2, 2\)"):
        metrics.frechet_distance_gaussians(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="mu_a must be finite"):
        metrics.frechet_distance_gaussians([np.nan, 0], np.eye(2), np.zeros(2), np.eye(2))


def test_sqrtm_and_eigen_paths_agree(train, heldout, monkeypatch):
    fa = metrics.classifier_features(train[0][:1000]).double().numpy()
    fb = metrics.classifier_features(heldout[0]).double().numpy()
    ca, cb = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    with_scipy = metrics._trace_sqrt_product(ca, cb)
    assert with_scipy == pytest.approx(metrics._trace_sqrt_product_eigh(ca, cb), rel=1e-6)
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)  # as if SciPy were not installed
    assert metrics._trace_sqrt_product(ca, cb) == pytest.approx(with_scipy, rel=1e-6)


def test_frechet_distance_real_vs_real_is_small_and_real_vs_noise_large(train, heldout, noise):
    real = metrics.frechet_distance(train[0], heldout[0])
    fake = metrics.frechet_distance(heldout[0], noise)
    assert fake > 20 * real, (real, fake)
    assert metrics.frechet_distance(heldout[0], heldout[0]) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_is_symmetric_and_sees_collapse(heldout, one_digit):
    images = heldout[0]
    ab = metrics.frechet_distance(images[:500], images[500:])
    assert ab == pytest.approx(metrics.frechet_distance(images[500:], images[:500]), rel=1e-6)
    assert metrics.frechet_distance(one_digit, images) > 20 * ab


# ----------------------------------------------------------------------------
# Bad inputs
# ----------------------------------------------------------------------------

GOOD = torch.zeros(4, 1, 28, 28)


@pytest.mark.parametrize(
    "images, match",
    [
        (np.zeros((4, 1, 28, 28), dtype=np.float32), r"must be a float tensor of shape \(N, 1, 28, 28\).*got ndarray"),
        (torch.zeros(4, 1, 28, 28, dtype=torch.uint8), r"got dtype torch.uint8 \(pixel values 0..255\?"),
        (torch.zeros(4, 1, 28, 28, dtype=torch.int64), r"got dtype torch.int64"),
        (torch.zeros(4, 28, 28), r"got shape \(4, 28, 28\) \(add the channel dimension"),
        (torch.zeros(4, 784), r"got shape \(4, 784\) \(flat vectors\?"),
        (torch.zeros(4, 3, 32, 32), r"got shape \(4, 3, 32, 32\)"),
        (torch.zeros(0, 1, 28, 28), r"at least 1 image"),
        (torch.full((4, 1, 28, 28), float("nan")), r"got NaN or infinite values"),
        (torch.full((4, 1, 28, 28), 255.0), r"values in \[-1, 1\].*got values in \[255, 255\] \(images in \[0, 1\]"),
        (torch.full((4, 1, 28, 28), -1.5), r"got values in \[-1.5, -1.5\]"),
    ],
    ids=["numpy", "uint8", "int64", "no-channel", "flat", "rgb", "empty", "nan", "0-255", "below"],
)
@pytest.mark.parametrize("metric", IMAGE_METRICS)
def test_bad_images_raise_a_helpful_error(metric, images, match):
    with pytest.raises(ValueError, match=match):
        metric(images)


def test_slightly_out_of_range_values_are_accepted():
    metrics.predict(GOOD + 1.0005)


def test_frechet_distance_bad_inputs():
    with pytest.raises(ValueError, match=r"images_b must be a float tensor.*got shape \(4, 28, 28\)"):
        metrics.frechet_distance(GOOD, torch.zeros(4, 28, 28))
    with pytest.raises(ValueError, match="images_a must hold at least 2 image"):
        metrics.frechet_distance(GOOD[:1], GOOD)


def test_bad_options():
    with pytest.raises(ValueError, match=r"min_share must be in \[0, 1\]"):
        metrics.classes_covered(GOOD, min_share=1.5)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        metrics.predict(GOOD, batch_size=0)
    with pytest.raises(ValueError, match="classifier must be an MNISTClassifier"):
        metrics.predict(GOOD, classifier=torch.nn.Linear(784, 10))


# ----------------------------------------------------------------------------
# Values against independent computations
# ----------------------------------------------------------------------------


class _MeanPixel(metrics.MNISTClassifier):
    """A stand-in classifier with two features: an image's mean pixel value and a constant 0,
    ``(B, 1, 28, 28) -> (B, 2)``: a 1-D Gaussian in the first coordinate."""

    def features(self, x):
        m = x.mean(dim=(1, 2, 3))
        return torch.stack([m, torch.zeros_like(m)], dim=1)


def _constant_images(values):
    return torch.tensor(values, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 28, 28).contiguous()


def test_frechet_distance_uses_the_unbiased_covariance_on_a_hand_computed_1d_case():
    # one varying feature: A = {-1, 0, 1} (mean 0, variance with N - 1: 2/2 = 1), B = {0.25, 0.5, 0.75}
    # (mean 0.5, variance 0.0625): d = (0 - 0.5)^2 + (1 - 0.25)^2 = 0.8125.
    # With the biased (N) covariance it would be 0.25 + (2/3) 0.75^2 = 0.625.
    a, b = _constant_images([-1.0, 0.0, 1.0]), _constant_images([0.25, 0.5, 0.75])
    assert metrics.frechet_distance(a, b, classifier=_MeanPixel()) == pytest.approx(0.8125, abs=1e-6)


def test_frechet_distance_matches_numpy_and_scipy_sqrtm(heldout, noise):
    from scipy.linalg import sqrtm

    a, b = heldout[0][:120], noise[:90]  # small sets: N - 1 against N differs by about 1%
    fa = metrics.classifier_features(a).double().numpy()
    fb = metrics.classifier_features(b).double().numpy()
    ca, cb = np.cov(fa, rowvar=False, ddof=1), np.cov(fb, rowvar=False, ddof=1)
    expected = (
        np.sum((fa.mean(0) - fb.mean(0)) ** 2) + np.trace(ca) + np.trace(cb) - 2 * np.real(np.trace(sqrtm(ca @ cb)))
    )
    got = metrics.frechet_distance(a, b)
    assert got == pytest.approx(expected, rel=1e-6)
    biased = np.sum((fa.mean(0) - fb.mean(0)) ** 2) + (np.trace(ca) * 119 / 120 + np.trace(cb) * 89 / 90)
    assert abs(got - biased) > 1e-3 * got  # the check above can tell the two covariances apart


def test_trace_sqrt_product_against_eigenvalues_of_the_product():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    sa, sb = x @ x.T + 0.1 * np.eye(4), y @ y.T
    # the eigenvalues of S_a S_b are real and >= 0 (it is similar to S_a^1/2 S_b S_a^1/2)
    expected = np.sqrt(np.clip(np.real(np.linalg.eigvals(sa @ sb)), 0, None)).sum()
    assert metrics._trace_sqrt_product(sa, sb) == pytest.approx(expected, rel=1e-9)
    assert metrics._trace_sqrt_product_eigh(sa, sb) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_gaussians_sums_in_float64():
    # trace 2**24 + 1 is not a float32 number: float32 inputs must be summed in float64
    cov_a = np.diag([2.0**24, 1.0]).astype(np.float32)
    zeros = np.zeros(2, dtype=np.float32)
    assert metrics.frechet_distance_gaussians(zeros, cov_a, zeros, np.zeros((2, 2), np.float32)) == 2.0**24 + 1
    assert metrics.frechet_distance_gaussians(zeros, np.zeros((2, 2), np.float32), zeros, cov_a) == 2.0**24 + 1


def test_trace_sqrt_product_of_a_rank_one_covariance_is_its_length():
    # S_a = v v^T, S_b = I: (S_a S_b)^1/2 = v v^T / |v|, whose trace is |v|; eigh gives tiny negative eigenvalues
    for seed in range(5):
        v = np.random.default_rng(seed).normal(size=(6, 1))
        sa = v @ v.T
        for fn in (metrics._trace_sqrt_product, metrics._trace_sqrt_product_eigh):
            assert fn(sa, np.eye(6)) == pytest.approx(np.linalg.norm(v), rel=1e-6)
            assert fn(np.eye(6), sa) == pytest.approx(np.linalg.norm(v), rel=1e-6)
        assert metrics.frechet_distance_gaussians(np.zeros(6), sa, np.zeros(6), np.eye(6)) == pytest.approx(
            (v**2).sum() + 6 - 2 * np.linalg.norm(v), rel=1e-6
        )


def test_trace_sqrt_product_uses_sqrtm_and_falls_back_to_eigh_on_a_complex_root(monkeypatch):
    import scipy.linalg

    sa, sb = np.diag([1.0, 4.0]), np.diag([9.0, 1.0])  # Tr (S_a S_b)^1/2 = 3 + 2
    calls = []
    real_eigh = metrics._trace_sqrt_product_eigh
    monkeypatch.setattr(metrics, "_trace_sqrt_product_eigh", lambda a, b: calls.append(1) or real_eigh(a, b))
    assert metrics._trace_sqrt_product(sa, sb) == pytest.approx(5.0, rel=1e-12) and calls == []
    # a root with an imaginary trace above 1e-6 of the larger trace is not trusted
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: np.diag([3.0 + 1e-4j, 2.0]))
    assert metrics._trace_sqrt_product(sa, sb) == pytest.approx(5.0, rel=1e-12) and calls == [1]
    # a tiny imaginary part (rounding) is dropped
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: np.diag([3.0 + 1e-9j, 2.5]))
    assert metrics._trace_sqrt_product(sa, sb) == 5.5 and calls == [1]
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: np.diag([np.nan, 2.0]))
    assert metrics._trace_sqrt_product(sa, sb) == pytest.approx(5.0, rel=1e-12) and calls == [1, 1]


@pytest.mark.parametrize("name", ["mu_a", "cov_a", "mu_b", "cov_b"])
def test_frechet_distance_gaussians_messages_name_the_argument(name):
    good = {"mu_a": np.zeros(2), "cov_a": np.eye(2), "mu_b": np.zeros(2), "cov_b": np.eye(2)}
    shape = "(2,)" if name.startswith("mu") else "(2, 2)"
    wrong = dict(good, **{name: np.zeros(3) if name.startswith("mu") else np.eye(3)})
    if name == "mu_a":
        # mu_a fixes d: give the other three the wrong size instead
        wrong = {"mu_a": np.zeros(2), "cov_a": np.eye(3), "mu_b": np.zeros(2), "cov_b": np.eye(2)}
        with pytest.raises(
            ValueError, match=r"^cov_a must have shape \(2, 2\) \(means \(d,\), covariances \(d, d\)\), got \(3, 3\)$"
        ):
            metrics.frechet_distance_gaussians(**wrong)
    else:
        got = "(3,)" if name.startswith("mu") else "(3, 3)"
        message = (
            rf"^{name} must have shape {re.escape(shape)} \(means \(d,\), covariances \(d, d\)\), got {re.escape(got)}$"
        )
        with pytest.raises(ValueError, match=message):
            metrics.frechet_distance_gaussians(**wrong)
    bad = dict(good, **{name: np.full_like(good[name], np.inf)})
    with pytest.raises(ValueError, match=rf"^{name} must be finite$"):
        metrics.frechet_distance_gaussians(**bad)
    with pytest.raises(ValueError, match=r"^mu_a must be a vector of shape \(d,\), got shape \(1, 2\)$"):
        metrics.frechet_distance_gaussians(np.zeros((1, 2)), np.eye(2), np.zeros(2), np.eye(2))


class _DarkOrBright(metrics.MNISTClassifier):
    """A stand-in classifier that is certain: class 0 for a dark image (mean pixel < 0), class 7 otherwise.
    Its logits are 0 and -inf, so the other probabilities are exactly 0 (and 0 log 0 must count as 0)."""

    def forward(self, x):
        bright = (x.mean(dim=(1, 2, 3)) >= 0).long()  # (B,)
        return torch.log(F.one_hot(7 * bright, 10).float())  # (B, 10): 0 or -inf


def test_metrics_of_certain_predictions_are_the_closed_forms():
    images = _constant_images([-0.5] * 6 + [0.5] * 6)  # six dark, six bright
    clf = _DarkOrBright()
    probs = metrics.predict(images, classifier=clf)
    assert torch.equal(probs, F.one_hot(torch.tensor([0] * 6 + [7] * 6), 10).float())
    assert metrics.class_histogram(images, classifier=clf).tolist() == [6, 0, 0, 0, 0, 0, 0, 6, 0, 0]
    assert metrics.classes_covered(images, classifier=clf) == 2
    assert metrics.classes_covered(images, min_share=0.0, classifier=clf) == 2  # a class needs one image
    assert metrics.classes_covered(images, min_share=0.5, classifier=clf) == 2  # a share of exactly min_share counts
    assert metrics.classes_covered(images, min_share=0.51, classifier=clf) == 0
    # q = (1/2, 1/2) on two classes: KL(q || u) = log 10 - log 2; the score is exp(log 2) = 2
    assert metrics.kl_to_uniform(images, classifier=clf) == pytest.approx(math.log(5), abs=1e-12)
    assert metrics.classifier_score(images, classifier=clf) == pytest.approx(2.0, abs=1e-12)
    # three of one class, nine of the other: exp(H(q)) with q = (1/4, 3/4)
    skewed = _constant_images([-0.5] * 3 + [0.5] * 9)
    entropy = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert metrics.classifier_score(skewed, classifier=clf) == pytest.approx(math.exp(entropy), abs=1e-12)
    assert metrics.kl_to_uniform(skewed, classifier=clf) == pytest.approx(math.log(10) - entropy, abs=1e-12)


def _random_classifier(seed):
    model = metrics.MNISTClassifier()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.3 * torch.randn(p.shape, generator=g))
    return model.eval()


def test_every_metric_uses_the_classifier_it_is_given(heldout):
    images = heldout[0][:40]
    model = _random_classifier(0)
    with torch.no_grad():
        logits, feats = model(images).double(), model.features(images)
    p = torch.softmax(logits, dim=1)
    assert torch.allclose(metrics.predict(images, classifier=model), p.float(), atol=1e-6)
    assert torch.equal(metrics.classifier_features(images, classifier=model), feats)
    counts = torch.bincount(logits.argmax(1), minlength=10)
    assert torch.equal(metrics.class_histogram(images, classifier=model), counts)
    share = counts.double() / 40
    kl = float((share[share > 0] * torch.log(10 * share[share > 0])).sum())
    assert metrics.kl_to_uniform(images, classifier=model) == pytest.approx(kl, abs=1e-12)
    assert metrics.classes_covered(images, classifier=model) == int((counts > 0).sum())
    expected_score = math.exp(float((p * (p.log() - p.mean(0).log())).sum(1).mean()))
    assert metrics.classifier_score(images, classifier=model) == pytest.approx(expected_score, rel=1e-9)
    fa, fb = feats[:20].double().numpy(), feats[20:].double().numpy()
    expected_fd = metrics.frechet_distance_gaussians(
        fa.mean(0), np.cov(fa, rowvar=False), fb.mean(0), np.cov(fb, rowvar=False)
    )
    assert metrics.frechet_distance(images[:20], images[20:], classifier=model) == pytest.approx(expected_fd, rel=1e-9)


def test_mean_confidence_uses_the_classifier_it_is_given(heldout):
    images = heldout[0][:40]
    model = _random_classifier(0)
    with torch.no_grad():
        p = torch.softmax(model(images).double(), dim=1)
    expected = float(p.max(1).values.mean())
    assert abs(expected - metrics.mean_confidence(images)) > 1e-3  # the shipped classifier answers otherwise
    assert metrics.mean_confidence(images, classifier=model) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("metric", IMAGE_METRICS)
def test_bad_images_message_starts_with_the_argument_name(metric):
    with pytest.raises(
        ValueError,
        match=r"^images must be a float tensor of shape \(N, 1, 28, 28\) with values in \[-1, 1\], as load_mnist returns; got list$",
    ):
        metric([0.0])


@pytest.mark.parametrize(
    "metric",
    [*IMAGE_METRICS, lambda images, **kw: metrics.frechet_distance(images, images, **kw)],
)
def test_every_metric_passes_its_batch_size_on(metric):
    with pytest.raises(ValueError, match=r"^batch_size must be an integer >= 1, got 0$"):
        metric(GOOD, batch_size=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_predict_answers_on_the_images_device_and_numbers_on_the_cpu(heldout):
    images = heldout[0][:50]
    probs = metrics.predict(images.cuda())
    assert probs.device.type == "cuda" and torch.allclose(probs.cpu(), metrics.predict(images), atol=1e-5)
    assert metrics.class_histogram(images.cuda()).device.type == "cpu"
    assert metrics.classifier_features(images.cuda()).device.type == "cpu"


def test_frechet_distance_needs_two_images_per_set_and_two_are_enough():
    a, b = _constant_images([-1.0, 1.0]), _constant_images([0.0, 0.5])
    # one varying feature: means 0 and 0.25, variances (N - 1) 2 and 0.125: 0.0625 + (sqrt 2 - sqrt 0.125)^2
    expected = 0.0625 + (math.sqrt(2) - math.sqrt(0.125)) ** 2
    assert metrics.frechet_distance(a, b, classifier=_MeanPixel()) == pytest.approx(expected, abs=1e-6)
    for first, second, name in ((a[:1], b, "images_a"), (a, b[:1], "images_b")):
        with pytest.raises(ValueError, match=rf"^{name} must hold at least 2 image\(s\); got 1$"):
            metrics.frechet_distance(first, second)


@pytest.mark.parametrize(
    "scale, imag, swap, trusted",
    [
        (1.0, 7e-6, False, True),  # below 1e-6 x the larger trace (10): sqrtm's root is kept
        (1.0, 7e-6, True, True),  # the same with the arguments swapped
        (1.0, 1e-6 * 10.0, False, True),  # exactly at the limit: kept
        (1.0, 1.1e-5, False, False),  # above it: the eigen-decomposition instead
        (1e-3, 1e-7, False, False),  # small covariances: the limit is 1e-6 x 1e-2, not 1e-6
    ],
)
def test_trace_sqrt_product_keeps_a_root_whose_imaginary_part_is_rounding(monkeypatch, scale, imag, swap, trusted):
    import scipy.linalg

    sa, sb = scale * np.diag([1.0, 4.0]), scale * np.diag([9.0, 1.0])  # traces 5 and 10 (x scale); answer 5 x scale
    root = np.diag([3.0 * scale + imag * 1j, 2.5 * scale])  # real trace 5.5 x scale
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: root)
    args = (sb, sa) if swap else (sa, sb)
    expected = (5.5 if trusted else 5.0) * scale
    assert metrics._trace_sqrt_product(*args) == pytest.approx(expected, rel=1e-12)


def test_trace_sqrt_product_of_zero_covariances_compares_with_a_floor_of_1e_12(monkeypatch):
    import scipy.linalg

    zeros = np.zeros((2, 2))
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: np.diag([1e-13 + 1e-19j, 0.0]))
    assert metrics._trace_sqrt_product(zeros, zeros) == 1e-13  # 1e-19 < 1e-6 x 1e-12: kept
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: np.diag([1e-13 + 1e-17j, 0.0]))
    assert metrics._trace_sqrt_product(zeros, zeros) == 0.0  # 1e-17 > 1e-18: the eigen-decomposition's 0
