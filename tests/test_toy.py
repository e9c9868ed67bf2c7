"""Toy-data metrics: the 1-D earth mover's distance and mode coverage."""

import math

import pytest
import torch

from gan_helpers import data, toy


def test_wasserstein_1d_of_a_shift_is_the_shift():
    a = torch.randn(500, generator=torch.Generator().manual_seed(0))
    assert toy.wasserstein_1d(a, a) == 0.0
    assert toy.wasserstein_1d(a, a + 0.7) == pytest.approx(0.7, abs=1e-6)
    assert toy.wasserstein_1d(a.view(-1, 1), (a + 0.7)[torch.randperm(500)]) == pytest.approx(0.7, abs=1e-6)


def test_wasserstein_1d_matches_the_definition_on_a_small_case():
    # piles {0, 1, 5} and {2, 2, 2}: sorted pairing moves 2 + 1 + 3 = 6 over 3 points
    assert toy.wasserstein_1d(torch.tensor([5.0, 0.0, 1.0]), torch.tensor([2.0, 2.0, 2.0])) == pytest.approx(2.0)


def test_normal_quantiles_are_a_perfect_sample():
    q = toy.normal_quantiles(10_000, mean=4.0, std=1.25)
    assert q.shape == (10_000,) and torch.all(q[1:] > q[:-1])
    assert q.mean().item() == pytest.approx(4.0, abs=1e-9)
    assert q.std().item() == pytest.approx(1.25, rel=2e-3)
    x = data.gaussian_1d(10_000, torch.Generator().manual_seed(0))          # a real sample is close
    assert toy.wasserstein_1d(x, q) < 0.05
    assert toy.wasserstein_1d(x, toy.normal_quantiles(10_000, 4.0, 2.5)) > 0.8   # a wider normal is not


@pytest.mark.parametrize(
    "a, b, match",
    [
        (torch.zeros(3), torch.zeros(4), "same number"),
        (torch.zeros(3, 2), torch.zeros(3, 2), r"\(N,\) or \(N, 1\)"),
        (torch.zeros(0), torch.zeros(0), "N >= 1"),
        (torch.tensor([1, 2]), torch.tensor([1, 2]), "floating point"),
        (torch.tensor([1.0, math.nan]), torch.zeros(2), "NaN"),
        ([1.0, 2.0], torch.zeros(2), "tensor"),
    ],
)
def test_wasserstein_1d_bad_input(a, b, match):
    with pytest.raises(ValueError, match=match):
        toy.wasserstein_1d(a, b)


def test_mode_coverage_of_real_ring_data_is_full():
    centres = data.ring_centres(8, 2.0)
    x = data.ring_2d(4000, torch.Generator().manual_seed(0))
    cov = toy.mode_coverage(x, centres)
    assert cov["modes"] == 8 and cov["occupied"] == 8
    assert cov["quality"] > 0.99                       # 0.1 is five standard deviations
    assert cov["nearest"].sum().item() == pytest.approx(1.0)
    assert cov["nearest"].min().item() > 0.1


def test_mode_coverage_of_a_collapsed_and_a_diffuse_sample():
    centres = data.ring_centres(8, 2.0)
    g = torch.Generator().manual_seed(0)
    collapsed = centres[3] + 0.01 * torch.randn(1000, 2, generator=g)     # every sample on mode 3
    cov = toy.mode_coverage(collapsed, centres)
    assert (cov["modes"], cov["occupied"], cov["quality"]) == (1, 1, 1.0)
    assert cov["nearest"][3].item() == 1.0
    diffuse = 3 * torch.randn(1000, 2, generator=g)                       # everywhere, on no mode
    cov = toy.mode_coverage(diffuse, centres)
    assert cov["occupied"] == 8 and cov["quality"] < 0.02 and cov["modes"] <= 1
    # half the samples on mode 0, a quarter on mode 1 just outside `near`
    split = torch.cat([centres[0].repeat(500, 1), (centres[1] + torch.tensor([0.15, 0.0])).repeat(500, 1)])
    cov = toy.mode_coverage(split, centres, near=0.1)
    assert (cov["modes"], cov["occupied"], cov["quality"]) == (1, 2, 0.5)
    assert toy.mode_coverage(split, centres, near=0.2)["modes"] == 2


@pytest.mark.parametrize(
    "samples, centres, kwargs, match",
    [
        (torch.zeros(5, 3), torch.zeros(8, 2), {}, "3-d but centres are 2-d"),
        (torch.zeros(5), torch.zeros(8, 2), {}, r"samples must be a tensor \(N, d\)"),
        (torch.zeros(5, 2), torch.zeros(0, 2), {}, "centres must be"),
        (torch.full((5, 2), math.inf), torch.zeros(8, 2), {}, "NaN or Inf"),
        (torch.zeros(5, 2), torch.zeros(8, 2), {"near": 0.0}, "near"),
        (torch.zeros(5, 2), torch.zeros(8, 2), {"min_share": 1.5}, "min_share"),
    ],
)
def test_mode_coverage_bad_input(samples, centres, kwargs, match):
    with pytest.raises(ValueError, match=match):
        toy.mode_coverage(samples, centres, **kwargs)
