"""metrics.nyquist_energy against hand-built patterns and NumPy's FFT."""

import numpy as np
import pytest
import torch

from gan_helpers import metrics
from gan_helpers.mnist import load_mnist


def _numpy_share(images: np.ndarray) -> float:
    """The same share computed with np.fft.fft2 directly."""
    shares = []
    for x in images[:, 0].astype(np.float64):
        power = np.abs(np.fft.fft2(x)) ** 2
        H, W = x.shape
        total = power.sum() - power[0, 0]
        shares.append((power[H // 2, 0] + power[0, W // 2] + power[H // 2, W // 2]) / total)
    return float(np.mean(shares))


def test_a_checkerboard_is_all_nyquist_and_a_constant_has_none():
    i, j = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
    board = torch.tensor((-1.0) ** (i + j), dtype=torch.float32).view(1, 1, 28, 28)
    assert metrics.nyquist_energy(board) == pytest.approx(1.0, abs=1e-12)
    assert metrics.nyquist_energy(0.3 + 0.5 * board) == pytest.approx(1.0, abs=1e-12)  # the mean does not count
    stripes = torch.tensor((-1.0) ** i, dtype=torch.float32).view(1, 1, 28, 28)
    assert metrics.nyquist_energy(stripes) == pytest.approx(1.0, abs=1e-12)
    assert metrics.nyquist_energy(torch.full((2, 1, 28, 28), 0.2)) == 0.0


def test_half_checkerboard_half_smooth_by_hand():
    # x = a * checkerboard + b * cos(2 pi i / 28): energies a^2 (28*28)^2 and 2 * (b * 28 * 28 / 2)^2
    i, j = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
    a, b = 0.3, 0.6
    x = a * (-1.0) ** (i + j) + b * np.cos(2 * np.pi * i / 28)
    hand = a**2 * 784**2 / (a**2 * 784**2 + 2 * (b * 784 / 2) ** 2)
    assert hand == pytest.approx(1 / 3)  # a^2 : b^2 / 2 = 0.09 : 0.18
    assert metrics.nyquist_energy(torch.tensor(x, dtype=torch.float64).view(1, 1, 28, 28)) == pytest.approx(
        hand, rel=1e-9
    )


def test_matches_numpy_fft_on_noise_and_digits():
    noise = torch.rand(50, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    digits = load_mnist("bundled", "heldout")[0][:50]
    for images in (noise, digits):
        assert metrics.nyquist_energy(images) == pytest.approx(_numpy_share(images.numpy()), rel=1e-9)
    # white noise: 3 of the 783 non-mean frequencies, in expectation
    many = torch.rand(2000, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert metrics.nyquist_energy(many) == pytest.approx(3 / 783, rel=0.1)


def test_bad_images_raise():
    with pytest.raises(ValueError, match="images"):
        metrics.nyquist_energy(torch.zeros(2, 28, 28))


def test_a_faint_pattern_is_measured_as_a_strong_one():
    # the share does not depend on the amplitude: a checkerboard of 1e-3 has total energy
    # 784 * 784 * 1e-6 = 0.61 < 1, and is still all Nyquist; a faint pattern with a faint cosine keeps 1/3
    i, j = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
    board = torch.tensor(1e-3 * (-1.0) ** (i + j), dtype=torch.float64).view(1, 1, 28, 28)
    assert metrics.nyquist_energy(board) == pytest.approx(1.0, abs=1e-12)
    x = 3e-4 * (-1.0) ** (i + j) + 6e-4 * np.cos(2 * np.pi * i / 28)
    assert metrics.nyquist_energy(torch.tensor(x).view(1, 1, 28, 28)) == pytest.approx(1 / 3, rel=1e-9)


def test_the_message_names_the_images_argument_in_full():
    with pytest.raises(ValueError) as info:
        metrics.nyquist_energy(torch.zeros(2, 1, 27, 28))
    assert str(info.value) == (
        "images must be a float tensor of shape (N, 1, 28, 28) with values in [-1, 1], as load_mnist returns; "
        "got shape (2, 1, 27, 28)"
    )
