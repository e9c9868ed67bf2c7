"""The classifier module: loading, checking images, predictions and features against the network itself."""

import shutil

import numpy as np
import pytest
import torch

from gan_helpers import classifier as C
from gan_helpers import metrics
from gan_helpers.mnist import load_mnist


@pytest.fixture(scope="module")
def images():
    return load_mnist("bundled", "heldout")[0][:64]


def test_predict_and_features_are_the_networks_outputs(images):
    model = C.load_classifier()
    with torch.no_grad():
        logits = model(images).double()
        features = model.features(images)
    np.testing.assert_allclose(C.predict(images, batch_size=10).numpy(), torch.softmax(logits, 1).numpy(), atol=1e-6)
    feats = C.classifier_features(images, batch_size=7)
    assert feats.shape == (64, 64) and feats.device == images.device
    np.testing.assert_allclose(feats.numpy(), features.numpy(), atol=1e-5)
    np.testing.assert_allclose(C.log_probs(images, model).exp().numpy(), torch.softmax(logits, 1).numpy(), atol=1e-6)


def test_load_classifier_from_a_path(tmp_path, images):
    copy = tmp_path / "weights.pt"
    shutil.copy(C.CLASSIFIER_PATH, copy)
    model = C.load_classifier(path=copy)
    assert model is not C.load_classifier() and model is C.load_classifier("cpu", copy)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), C.load_classifier().parameters()))
    with pytest.raises(RuntimeError, match="missing"):
        C.load_classifier(path=tmp_path / "absent.pt")


def test_metrics_re_exports_the_classifier():
    assert metrics.MNISTClassifier is C.MNISTClassifier and metrics.predict is C.predict
    assert metrics.classifier_features is C.classifier_features
    assert metrics.CLASSIFIER_SHA256 == C.CLASSIFIER_SHA256
    assert metrics.load_classifier() is C.load_classifier()


@pytest.mark.parametrize(
    "bad, match",
    [
        (torch.zeros(2, 28, 28), "unsqueeze"),
        (torch.zeros(2, 784), "view"),
        (torch.zeros(2, 1, 28, 28, dtype=torch.uint8), "127.5"),
        (torch.full((2, 1, 28, 28), 0.5) * 255, "images / 127.5 - 1"),
        (torch.zeros(0, 1, 28, 28), "at least 1"),
    ],
)
def test_check_images_says_what_to_do(bad, match):
    with pytest.raises(ValueError, match=match):
        C.check_images("images", bad)


def test_loading_the_classifier_leaves_the_global_rng_alone():
    from gan_helpers import classifier

    classifier.load_classifier.cache_clear()
    torch.manual_seed(123)
    before = torch.get_rng_state()
    classifier.load_classifier()
    assert torch.equal(torch.get_rng_state(), before)  # a run's dropout draws are the same with or without it
