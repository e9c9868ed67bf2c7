"""Paired tests: the exact binomial split against scipy and hand values; McNemar and sign tests count the right pairs."""

import math

import pytest
from scipy.stats import binomtest

from gan_helpers import stats


@pytest.mark.parametrize("n_a, n_b", [(0, 0), (5, 0), (0, 6), (3, 3), (1, 9), (14, 3), (40, 0), (71, 79)])
def test_binomial_split_p_matches_scipy(n_a, n_b):
    expected = 1.0 if n_a + n_b == 0 else binomtest(n_a, n_a + n_b, 0.5).pvalue
    assert stats.binomial_split_p(n_a, n_b) == pytest.approx(expected, rel=1e-12)


def test_binomial_split_p_hand_values():
    assert stats.binomial_split_p(5, 0) == 2 / 32  # 2 * (1/2)^5
    assert stats.binomial_split_p(6, 0) == 2 / 64
    assert stats.binomial_split_p(4, 1) == 2 * 6 / 32  # 2 * (C(5,0) + C(5,1)) / 2^5
    assert stats.binomial_split_p(2, 2) == 1.0


def test_mcnemar_counts_only_the_discordant_runs():
    a = [1, 1, 1, 0, 0, 1, 1, 0]
    b = [0, 1, 0, 0, 1, 0, 1, 0]
    result = stats.mcnemar(a, b)
    assert (result.a_ahead, result.b_ahead, result.ties) == (3, 1, 4)
    assert result.p_value == pytest.approx(2 * (1 + 4) / 16)  # k = 1 of n = 4
    swapped = stats.mcnemar(b, a)
    assert (swapped.a_ahead, swapped.b_ahead) == (1, 3) and swapped.p_value == result.p_value


def test_sign_test_counts_better_values_either_way_and_drops_ties():
    a, b = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.5, 2.5, 3.0, 3.0, 1.0, 0.0]
    higher = stats.sign_test(a, b)
    assert (higher.a_ahead, higher.b_ahead, higher.ties) == (4, 1, 1)
    assert higher.p_value == pytest.approx(binomtest(1, 5, 0.5).pvalue)
    lower = stats.sign_test(a, b, higher_is_better=False)
    assert (lower.a_ahead, lower.b_ahead, lower.ties) == (1, 4, 1)
    assert stats.sign_test([1, 2, 3], [0, 1, 2]).p_value == pytest.approx(2 / 8)
    assert math.isclose(stats.sign_test([0.0] * 3, [0.0] * 3).p_value, 1.0)


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="success_a and success_b must be 1-D and paired"):
        stats.mcnemar([1, 0], [1])
    with pytest.raises(ValueError, match="booleans"):
        stats.mcnemar([2, 0], [1, 0])
    with pytest.raises(ValueError, match="finite"):
        stats.sign_test([1.0, float("nan")], [0.0, 0.0])
    with pytest.raises(ValueError, match="n_a"):
        stats.binomial_split_p(-1, 3)


def test_every_message_in_full():
    cases = [
        (lambda: stats.binomial_split_p(-1, 3), "n_a must be an integer >= 0, got -1"),
        (lambda: stats.binomial_split_p(3, -1), "n_b must be an integer >= 0, got -1"),
        (lambda: stats.binomial_split_p(3, 1.5), "n_b must be an integer, got 1.5"),
        (
            lambda: stats.sign_test([], []),
            "values_a and values_b must be 1-D and paired (same length >= 1), got shapes (0,) and (0,)",
        ),
        (
            lambda: stats.mcnemar([1, 0], [1]),
            "success_a and success_b must be 1-D and paired (same length >= 1), got shapes (2,) and (1,)",
        ),
        (lambda: stats.mcnemar([2, 0], [1, 0]), "success_a and success_b must hold booleans (or 0 and 1)"),
        (lambda: stats.sign_test([1.0, float("nan")], [0.0, 0.0]), "values_a and values_b must be finite numbers"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message


def test_one_pair_is_enough():
    assert stats.sign_test([1.0], [0.0]) == stats.PairedTest(1, 0, 0, 1.0)  # p = min(1, 2 * 1/2)
    assert stats.mcnemar([True], [True]) == stats.PairedTest(0, 0, 1, 1.0)
