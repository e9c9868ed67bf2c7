"""Toy-data metrics: the 1-D earth mover's distance and mode coverage."""

import math

import numpy as np
import pytest
import torch

from gan_helpers import data, toy, toy_metrics


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
    x = data.gaussian_1d(10_000, torch.Generator().manual_seed(0))  # a real sample is close
    assert toy.wasserstein_1d(x, q) < 0.05
    assert toy.wasserstein_1d(x, toy.normal_quantiles(10_000, 4.0, 2.5)) > 0.8  # a wider normal is not


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
    assert cov["quality"] > 0.99  # 0.1 is five standard deviations
    assert cov["nearest"].sum().item() == pytest.approx(1.0)
    assert cov["nearest"].min().item() > 0.1


def test_mode_coverage_of_a_collapsed_and_a_diffuse_sample():
    centres = data.ring_centres(8, 2.0)
    g = torch.Generator().manual_seed(0)
    collapsed = centres[3] + 0.01 * torch.randn(1000, 2, generator=g)  # every sample on mode 3
    cov = toy.mode_coverage(collapsed, centres)
    assert (cov["modes"], cov["occupied"], cov["quality"]) == (1, 1, 1.0)
    assert cov["nearest"][3].item() == 1.0
    diffuse = 3 * torch.randn(1000, 2, generator=g)  # everywhere, on no mode
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


# ----------------------------------------------------------------------------
# Values against independent computations, and exact messages
# ----------------------------------------------------------------------------


def test_wasserstein_1d_against_numpy_sorted_pairing_in_float64():
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(257, generator=g), 3 * torch.rand(257, generator=g)
    expected = np.mean(np.abs(np.sort(a.double().numpy()) - np.sort(b.double().numpy())))
    assert toy.wasserstein_1d(a, b) == pytest.approx(expected, rel=1e-12)
    assert toy.wasserstein_1d(b, a) == pytest.approx(expected, rel=1e-12)


def test_wasserstein_1d_computes_in_float64():
    # 2**24 - 1 is not a float32 number: a float32 subtraction would give 2**24
    assert toy.wasserstein_1d(torch.tensor([2.0**24]), torch.tensor([1.0])) == 2.0**24 - 1


def test_normal_quantiles_match_scipy():
    from scipy.stats import norm

    for n, mean, std in [(1, 0.1, 1.0), (4, 0.0, 1.0), (7, 0.1, 0.3), (100, -2.5, 4.0)]:
        q = toy.normal_quantiles(n, mean, std)
        assert q.dtype == torch.float64 and q.shape == (n,)
        expected = norm.ppf((np.arange(n) + 0.5) / n, loc=mean, scale=std)
        np.testing.assert_allclose(q.numpy(), expected, rtol=0, atol=1e-12)
    # the defaults are the standard normal
    np.testing.assert_allclose(toy.normal_quantiles(5).numpy(), norm.ppf((np.arange(5) + 0.5) / 5), atol=1e-12)
    assert toy.normal_quantiles(1, mean=0.1).item() == 0.1  # one quantile: the median


@pytest.mark.parametrize(
    "args, message",
    [
        ((0,), r"^n must be an integer >= 1, got 0$"),
        ((2.0,), r"^n must be an integer, got 2.0$"),
        ((3, math.nan), r"^mean must be a finite number, got nan$"),
        ((3, 0.0, 0.0), r"^std must be > 0, got 0.0$"),
    ],
)
def test_normal_quantiles_bad_input_names_the_argument(args, message):
    with pytest.raises(ValueError, match=message):
        toy.normal_quantiles(*args)


@pytest.mark.parametrize(
    "a, b, message",
    [
        ([1.0], torch.zeros(1), r"^a must be a tensor of shape \(N,\) or \(N, 1\), got list$"),
        (torch.zeros(1), (1.0,), r"^b must be a tensor of shape \(N,\) or \(N, 1\), got tuple$"),
        (
            torch.zeros(2, 2),
            torch.zeros(2),
            r"^a must be a tensor of shape \(N,\) or \(N, 1\) with N >= 1, got \(2, 2\)$",
        ),
        (torch.zeros(2), torch.zeros(0), r"^b must be a tensor of shape \(N,\) or \(N, 1\) with N >= 1, got \(0,\)$"),
        (torch.zeros(2), torch.zeros(2, dtype=torch.int64), r"^b must be floating point, got torch.int64$"),
        (torch.tensor([math.inf]), torch.zeros(1), r"^a contains NaN or Inf$"),
        (torch.zeros(3), torch.zeros(2), r"^a and b must have the same number of values, got 3 and 2$"),
    ],
)
def test_wasserstein_1d_messages_name_the_argument(a, b, message):
    with pytest.raises(ValueError, match=message):
        toy.wasserstein_1d(a, b)


def test_mode_coverage_against_a_hand_count():
    centres = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    samples = torch.tensor(
        [
            [0.0, 0.05],  # on mode 0
            [0.02, 0.0],  # on mode 0
            [0.3, 0.0],  # nearest mode 0, off it
            [1.0, 0.09],  # on mode 1
            [0.9, 0.5],  # nearest mode 1, off it
            [0.55, 0.6],  # nearest mode 2, off it
            [-0.5, -0.5],  # nearest mode 0, off it
            [0.99, 0.0],  # on mode 1
        ]
    )
    cov = toy.mode_coverage(samples, centres, near=0.1, min_share=0.2)
    # on a mode: 0 twice, 1 twice -> quality 4/8; covered needs >= 0.2 * 8 = 1.6 samples on it
    assert cov["quality"] == 0.5 and cov["modes"] == 2
    # nearest: mode 0 four times, mode 1 three times, mode 2 once
    assert cov["nearest"].tolist() == [4 / 8, 3 / 8, 1 / 8] and cov["nearest"].dtype == torch.float64
    assert cov["occupied"] == 2  # 1/8 < 0.2
    assert toy.mode_coverage(samples, centres, near=0.1, min_share=0.125)["occupied"] == 3  # share >= min_share
    assert toy.mode_coverage(samples, centres, near=0.1, min_share=0.25)["modes"] == 2  # 2 >= 0.25 * 8
    assert toy.mode_coverage(samples, centres, near=0.1, min_share=0.26)["modes"] == 0
    assert toy.mode_coverage(samples, centres, near=0.35)["quality"] == 5 / 8  # and [0.3, 0]
    # a sample at exactly `near` is not on the mode (strict <)
    assert toy.mode_coverage(torch.tensor([[0.5, 0.0]]), torch.tensor([[0.0, 0.0]]), near=0.5)["quality"] == 0.0


def test_mode_coverage_defaults():
    centres = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    # 99 samples at 0.09 from mode 0 (inside the default near = 0.1) and one on mode 1 (1% = min_share)
    samples = torch.cat([torch.tensor([[0.09, 0.0]]).repeat(99, 1), torch.tensor([[1.0, 0.0]])])
    cov = toy.mode_coverage(samples, centres)
    assert (cov["modes"], cov["occupied"], cov["quality"]) == (2, 2, 1.0)
    moved = samples + torch.tensor([0.02, 0.0])  # now 0.11 from mode 0
    assert toy.mode_coverage(moved, centres)["quality"] == pytest.approx(0.01)


@pytest.mark.parametrize(
    "samples, centres, kwargs, message",
    [
        ([[0.0, 0.0]], torch.zeros(8, 2), {}, r"^samples must be a tensor \(N, d\) with N >= 1, got list$"),
        (torch.zeros(5), torch.zeros(8, 2), {}, r"^samples must be a tensor \(N, d\) with N >= 1, got \(5,\)$"),
        (torch.zeros(5, 2), torch.zeros(0, 2), {}, r"^centres must be a tensor \(N, d\) with N >= 1, got \(0, 2\)$"),
        (torch.full((5, 2), math.nan), torch.zeros(8, 2), {}, r"^samples contain NaN or Inf$"),
        (torch.zeros(5, 2), torch.zeros(8, 2), {"near": -1.0}, r"^near must be > 0, got -1.0$"),
        (torch.zeros(5, 2), torch.zeros(8, 2), {"min_share": -0.1}, r"^min_share must be in \[0, 1\], got -0.1$"),
    ],
)
def test_mode_coverage_messages_name_the_argument(samples, centres, kwargs, message):
    with pytest.raises(ValueError, match=message):
        toy.mode_coverage(samples, centres, **kwargs)


def test_mode_coverage_reports_every_mode_even_empty_ones():
    centres = torch.tensor([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [9.0, 9.0]])  # the last two get no sample
    samples = torch.tensor([[0.0, 0.0], [1.0, 0.05], [0.9, 0.0]])
    cov = toy.mode_coverage(samples, centres, min_share=0.0)
    assert cov["nearest"].tolist() == [1 / 3, 2 / 3, 0.0, 0.0]
    # with min_share = 0 every mode counts, also those no sample is near
    assert cov["modes"] == 4 and cov["occupied"] == 4
    assert toy.mode_coverage(samples, centres)["modes"] == 2


def test_mode_coverage_accepts_integer_points_and_computes_in_float32():
    centres = torch.tensor([[0, 0], [2, 0]])  # int64, as a grid's centres could be
    samples = torch.tensor([[0, 0], [2, 0], [2, 0]])  # int64
    cov = toy.mode_coverage(samples, centres)
    assert (cov["modes"], cov["quality"]) == (2, 1.0) and cov["nearest"].tolist() == [1 / 3, 2 / 3]
    cov = toy.mode_coverage(samples.double() + 0.05, centres)
    assert (cov["modes"], cov["quality"]) == (2, 1.0)


def test_wasserstein_1d_accepts_a_column_and_float16():
    a = torch.tensor([[0.5], [1.5]], dtype=torch.float16)
    assert toy.wasserstein_1d(a, torch.tensor([1.0, 2.0])) == 0.5


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_toy_metrics_take_cuda_tensors_and_answer_on_the_cpu():
    centres = data.ring_centres(8, 2.0)
    x = data.ring_2d(500, torch.Generator().manual_seed(0))
    cpu = toy.mode_coverage(x, centres)
    gpu = toy.mode_coverage(x.cuda(), centres.cuda())
    assert gpu["nearest"].device.type == "cpu" and torch.equal(gpu["nearest"], cpu["nearest"])
    assert (gpu["modes"], gpu["quality"]) == (cpu["modes"], cpu["quality"])
    a = torch.randn(100, generator=torch.Generator().manual_seed(1))
    assert toy.wasserstein_1d(a.cuda(), a.cuda() + 1) == pytest.approx(1.0, abs=1e-6)


# ----------------------------------------------------------------------------
# mode_metrics: the published definitions (Srivastava et al. 2017)
# ----------------------------------------------------------------------------

HIGH_QUALITY_2D = 1 - math.exp(-4.5)  # P(chi^2_2 <= 9): a 2-D Gaussian within 3 std of its mean


def test_benchmarks_are_the_course_data_at_their_defaults():
    ring_centres, ring_std = toy.BENCHMARKS["ring"]
    grid_centres, grid_std = toy.BENCHMARKS["grid"]
    assert (ring_std, grid_std) == (0.02, 0.05)
    assert ring_centres.shape == (8, 2) and grid_centres.shape == (25, 2)
    np.testing.assert_allclose(ring_centres.norm(dim=1).numpy(), 2.0, rtol=1e-6)
    assert sorted(set(grid_centres.flatten().tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    # the data's own spread around its modes is that std
    x = data.ring_2d(20_000, torch.Generator().manual_seed(1))
    offsets = x - ring_centres[torch.cdist(x, ring_centres).argmin(1)]
    assert offsets.std().item() == pytest.approx(0.02, rel=0.02)


@pytest.mark.parametrize("dataset, k, std", [("ring", 8, 0.02), ("grid", 25, 0.05)])
def test_mode_metrics_of_samples_exactly_on_the_modes(dataset, k, std):
    centres = toy.BENCHMARKS[dataset][0]
    m = toy.mode_metrics(centres.repeat(3, 1), dataset)
    assert (m.modes_covered, m.modes, m.high_quality, m.n) == (k, k, 1.0, 3 * k)
    assert m.counts == (3,) * k and isinstance(m.counts, tuple)
    assert (m.dataset, m.definition, m.std) == (dataset, "veegan", std)
    with pytest.raises(AttributeError):
        m.modes_covered = 0  # frozen


@pytest.mark.parametrize("dataset, mode", [("ring", 0), ("ring", 5), ("grid", 12), ("grid", 24)])
def test_mode_metrics_three_standard_deviations_is_the_line(dataset, mode):
    centres, std = toy.BENCHMARKS[dataset]
    angles = torch.tensor([0.0, 1.0, 2.5, 4.0])
    unit = torch.stack((torch.cos(angles), torch.sin(angles)), dim=1)  # (4, 2)
    inside = centres[mode] + 2.9 * std * unit
    outside = centres[mode] + 3.1 * std * unit
    m = toy.mode_metrics(torch.cat([inside, outside]), dataset)
    assert m.high_quality == 0.5 and m.modes_covered == 1 and m.counts[mode] == 4 and sum(m.counts) == 4
    assert toy.mode_metrics(outside, dataset).modes_covered == 0
    assert toy.mode_metrics(outside, dataset).high_quality == 0.0
    # 1.01 std inside: still high quality (the radius is 3 std, not 3 variances or 1 std)
    assert toy.mode_metrics(centres[mode] + 1.01 * std * unit, dataset).high_quality == 1.0


def test_veegan_counts_include_a_sample_at_exactly_three_std():
    centre = torch.zeros(1, 2, dtype=torch.float64)
    at = torch.tensor([[1.5, 0.0], [0.0, -1.5]], dtype=torch.float64)  # exactly 3 * 0.5, in binary
    assert toy_metrics._veegan_counts(at, centre, 0.5) == (2,)
    beyond = torch.tensor([[math.nextafter(1.5, 2.0), 0.0]], dtype=torch.float64)
    assert toy_metrics._veegan_counts(beyond, centre, 0.5) == (0,)


def test_mode_metrics_of_a_collapsed_sample_and_a_far_outlier():
    centres = toy.BENCHMARKS["ring"][0]
    g = torch.Generator().manual_seed(0)
    collapsed = centres[3] + 0.01 * torch.randn(2500, 2, generator=g)  # 0.5 std: all on mode 3
    m = toy.mode_metrics(collapsed, "ring")
    assert (m.modes_covered, m.n) == (1, 2500) and m.counts[3] == sum(m.counts)
    assert m.high_quality == sum(m.counts) / 2500 > 0.999
    # an outlier is nearest mode 0 (angle 0) but far from it: not high quality, covers nothing
    outlier = torch.tensor([[50.0, 0.0]])
    m = toy.mode_metrics(torch.cat([centres[3:4], outlier]), "ring")
    assert (m.modes_covered, m.high_quality, m.counts[0], m.counts[3]) == (1, 0.5, 0, 1)
    assert toy.mode_metrics(outlier, "grid") == toy.ModeMetrics("grid", "veegan", 0, 25, 0.0, 1, (0,) * 25, 0.05)


def _clopper_pearson(k: int, n: int, level: float = 0.999) -> tuple[float, float]:
    from scipy.stats import beta

    a = (1 - level) / 2
    return beta.ppf(a, k, n - k + 1), beta.ppf(1 - a, k + 1, n - k)


@pytest.mark.parametrize("dataset, draw", [("ring", data.ring_2d), ("grid", data.grid_2d)])
def test_mode_metrics_of_real_data(dataset, draw):
    m = toy.mode_metrics(draw(2500, torch.Generator().manual_seed(0)), dataset)
    assert m.modes_covered == m.modes and m.n == 2500
    low, high = _clopper_pearson(sum(m.counts), 2500)
    assert low < HIGH_QUALITY_2D < high, (m.high_quality, low, high)
    assert abs(m.high_quality - HIGH_QUALITY_2D) < 0.01


def test_mode_metrics_measure_with_the_benchmark_std():
    # the grid drawn with std 0.1, twice the benchmark's 0.05: within 3 x 0.05 = 1.5 of its std,
    # P = 1 - exp(-1.5^2 / 2)
    x = data.grid_2d(2500, torch.Generator().manual_seed(0), std=0.1)
    m = toy.mode_metrics(x, "grid")
    low, high = _clopper_pearson(sum(m.counts), 2500)
    assert low < 1 - math.exp(-1.125) < high, (m.high_quality, low, high)
    assert m.modes_covered == 25


@pytest.mark.parametrize("dataset, seed", [("ring", 0), ("ring", 1), ("grid", 2), ("grid", 3)])
def test_mode_metrics_against_a_kd_tree(dataset, seed):
    from scipy.spatial import cKDTree

    centres, std = toy.BENCHMARKS[dataset]
    g = torch.Generator().manual_seed(seed)
    k = len(centres)
    # a few modes, with spreads around the 3-std radius, plus points anywhere
    picked = torch.randint(0, k, (1500,), generator=g) % (k // 2)
    near = centres[picked] + 0.05 * torch.randn(1500, 2, generator=g)
    anywhere = 10 * torch.rand(1000, 2, generator=g) - 5
    x = torch.cat([near, anywhere])  # (2500, 2) float32
    dist, idx = cKDTree(centres.double().numpy()).query(x.double().numpy(), k=1)
    good = dist <= 3 * std
    expected = np.bincount(idx[good], minlength=k)
    m = toy.mode_metrics(x, dataset)
    assert m.counts == tuple(expected.tolist())
    assert m.high_quality == good.mean() and 0.2 < m.high_quality < 0.7
    assert m.modes_covered == int((expected > 0).sum()) and m.modes_covered < k
    # the same numbers from float64 and from a non-contiguous view
    assert toy.mode_metrics(x.double(), dataset) == m
    assert toy.mode_metrics(torch.cat([x, x], dim=1)[:, :2], dataset) == m


def test_mode_metrics_accept_integer_points():
    m = toy.mode_metrics(torch.tensor([[2, 0], [0, 2], [1, 1]]), "ring")
    assert (m.modes_covered, m.high_quality, m.counts[0], m.counts[2]) == (2, 2 / 3, 1, 1)


@pytest.mark.parametrize(
    "samples, dataset, message",
    [
        (torch.zeros(5, 2), "rings", r"^dataset must be one of \('ring', 'grid'\), got 'rings'$"),
        (torch.zeros(5, 3), "ring", r"^samples must be a tensor of shape \(N, 2\) with N >= 1, got \(5, 3\)$"),
        (torch.zeros(5), "ring", r"^samples must be a tensor of shape \(N, 2\) with N >= 1, got \(5,\)$"),
        (torch.zeros(0, 2), "grid", r"^samples must be a tensor of shape \(N, 2\) with N >= 1, got \(0, 2\)$"),
        (np.zeros((5, 2)), "grid", r"^samples must be a tensor of shape \(N, 2\) with N >= 1, got ndarray$"),
        (torch.tensor([[0.0, math.nan]]), "ring", r"^samples contain NaN or Inf$"),
        (torch.tensor([[0.0, -math.inf]]), "grid", r"^samples contain NaN or Inf$"),
        (torch.ones(2, 2, dtype=torch.bool), "ring", r"^samples must be real numbers, got torch.bool$"),
    ],
)
def test_mode_metrics_bad_input_names_the_argument(samples, dataset, message):
    with pytest.raises(ValueError, match=message):
        toy.mode_metrics(samples, dataset)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_mode_metrics_take_cuda_tensors():
    x = data.grid_2d(500, torch.Generator().manual_seed(0))
    assert toy.mode_metrics(x.cuda(), "grid") == toy.mode_metrics(x, "grid")


def test_results_table_puts_the_committed_rows_beside_the_published_ones():
    import csv

    with open(toy.TABLE, newline="") as f:
        ours = list(csv.DictReader(f))  # read apart from pandas: the CSV as written
    t = toy.results_table()
    assert list(t.columns) == [
        "source", "dataset", "method", "runs", "modes", "modes_se", "high_quality", "hq_se", "cpu_s_per_run"
    ]  # fmt: skip
    assert len(t) == len(ours) + len(toy.PUBLISHED) and list(t.index) == list(range(len(t)))
    for row, line in zip(t.itertuples(), ours):  # ours first, in the file's order
        assert (row.source, row.dataset, row.method, row.runs) == (
            "this course",
            line["dataset"],
            line["method"],
            int(line["seeds"]),
        )
        got = (row.modes, row.modes_se, row.high_quality, row.hq_se, row.cpu_s_per_run)
        assert got == tuple(float(line[k]) for k in ("modes_mean", "modes_se", "hq_mean", "hq_se", "cpu_s_per_run"))
    for row, published in zip(t.iloc[len(ours) :].itertuples(), toy.PUBLISHED):
        assert (row.source, row.dataset, row.method, row.modes, row.high_quality, row.runs) == published
        assert math.isnan(row.modes_se) and math.isnan(row.hq_se) and math.isnan(row.cpu_s_per_run)
    assert toy.PUBLISHED[0] == ("VEEGAN Table 1", "ring", "GAN", 1.0, 0.993, 5)  # checked against the paper
    assert toy.PUBLISHED[-1] == ("PacGAN Table 1", "grid", "PacGAN4", 24.8, 0.936, 10)


def test_results_table_names_the_command_when_the_table_is_missing(monkeypatch, tmp_path):
    missing = tmp_path / "toy_methods.csv"
    monkeypatch.setattr(toy, "TABLE", missing)
    with pytest.raises(FileNotFoundError) as info:
        toy.results_table()
    assert str(info.value) == f"{missing} is missing: rebuild it with python benchmarks/bench_toy.py table"


def test_the_benchmarks_use_the_samplers_default_spreads():
    assert toy_metrics._default_std(data.ring_2d) == 0.02  # the ring of the docstring: std 0.02
    assert toy_metrics._default_std(data.grid_2d) == 0.05  # the grid: std 0.05
    assert toy.BENCHMARKS["ring"][1] == 0.02 and toy.BENCHMARKS["grid"][1] == 0.05


def test_train_toy_shows_no_progress_bar_unless_asked(capsys):
    options = {"steps": 3, "log_every": 1, "g_hidden": (4,), "d_hidden": (4,), "batch_size": 8}
    toy.train_toy("ring", "gan", 0, **options)
    assert capsys.readouterr().err == ""
    toy.train_toy("ring", "gan", 0, progress=True, **options)
    assert "gan, 1 runs" in capsys.readouterr().err  # tqdm's bar, on stderr
