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


def test_the_network_is_the_one_its_docstring_writes_out(images):
    # a second implementation from the shipped state_dict: conv 3x3 pad 1, ReLU, pool 2 (twice), fc, ReLU, fc
    state = torch.load(C.CLASSIFIER_PATH, weights_only=True)
    model = C.MNISTClassifier()
    model.load_state_dict(state)
    x = images.double()
    w = {k: v.double() for k, v in state.items()}
    h = torch.nn.functional.max_pool2d(
        torch.relu(torch.nn.functional.conv2d(x, w["conv1.weight"], w["conv1.bias"], padding=1)), 2
    )
    h = torch.nn.functional.max_pool2d(
        torch.relu(torch.nn.functional.conv2d(h, w["conv2.weight"], w["conv2.bias"], padding=1)), 2
    )
    features = torch.relu(h.flatten(1) @ w["fc1.weight"].T + w["fc1.bias"])  # (64, 64)
    logits = features @ w["fc2.weight"].T + w["fc2.bias"]
    with torch.no_grad():
        np.testing.assert_allclose(model.features(images).double().numpy(), features.numpy(), atol=1e-4)
        np.testing.assert_allclose(model(images).double().numpy(), logits.numpy(), atol=1e-4)
    assert sum(p.numel() for p in model.parameters()) == 16 * 9 + 16 + 32 * 16 * 9 + 32 + 1568 * 64 + 64 + 64 * 10 + 10


def test_file_sha256_reads_a_file_larger_than_its_chunks(tmp_path):
    import hashlib

    blob = bytes(range(256)) * (3 * 4096 + 7)  # 3 MiB and a bit: several 1 MiB chunks
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    assert C._file_sha256(path) == hashlib.sha256(blob).hexdigest()
    (tmp_path / "empty.bin").write_bytes(b"")
    assert C._file_sha256(tmp_path / "empty.bin") == hashlib.sha256(b"").hexdigest()


def test_integer_images_other_than_bytes_get_no_pixel_hint():
    with pytest.raises(ValueError) as info:
        C.check_images("images", torch.zeros(2, 1, 28, 28, dtype=torch.int64))
    assert str(info.value) == (
        "images must be a float tensor of shape (N, 1, 28, 28) with values in [-1, 1], as load_mnist returns; "
        "got dtype torch.int64"
    )


_EXPECTED_TEXT = "a float tensor of shape (N, 1, 28, 28) with values in [-1, 1], as load_mnist returns"


def _full(lo, hi):
    """Two float64 images: one all ``lo``, one all ``hi`` (exact boundary values)."""
    return torch.stack(
        [torch.full((1, 28, 28), lo, dtype=torch.float64), torch.full((1, 28, 28), hi, dtype=torch.float64)]
    )


@pytest.mark.parametrize(
    "images, min_count, message",
    [
        (torch.zeros(2, 3, 28, 28), 1, f"images must be {_EXPECTED_TEXT}; got shape (2, 3, 28, 28)"),
        (torch.zeros(0, 1, 28, 28), 1, "images must hold at least 1 image(s); got 0"),
        (torch.zeros(2, 1, 28, 28), 3, "images must hold at least 3 image(s); got 2"),
        (_full(-0.5, 3.0), 1, f"images must be {_EXPECTED_TEXT}; got values in [-0.5, 3]"),
        (_full(0.0, 255.5), 1, f"images must be {_EXPECTED_TEXT}; got values in [0, 255.5]"),
        (
            _full(-C._RANGE_TOL, 2.0),
            1,
            f"images must be {_EXPECTED_TEXT}; got values in [-0.001, 2] "
            "(images in [0, 1]: use images * 2 - 1; in 0..255: images / 127.5 - 1)",
        ),
        (
            _full(0.0, 255 + C._RANGE_TOL),
            1,
            f"images must be {_EXPECTED_TEXT}; got values in [0, 255] "
            "(images in [0, 1]: use images * 2 - 1; in 0..255: images / 127.5 - 1)",
        ),
        (_full(-1.0, 1.5), 1, f"images must be {_EXPECTED_TEXT}; got values in [-1, 1.5]"),
    ],
)
def test_check_images_messages_in_full(images, min_count, message):
    with pytest.raises(ValueError) as info:
        C.check_images("images", images, min_count=min_count)
    assert str(info.value) == message


def test_check_images_accepts_values_at_the_tolerance():
    edge = _full(-1 - C._RANGE_TOL, 1 + C._RANGE_TOL)  # rounding in a generator's tanh: allowed
    assert C.check_images("images", edge) is edge
