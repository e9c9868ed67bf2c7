import math

import numpy as np
import pandas as pd
import pytest

from gan_helpers import stats


@pytest.mark.parametrize(
    "k, n, expected",
    [
        (0, 10, (0.0, 0.2775)),  # the classic all-fail case: not the degenerate (0, 0)
        (10, 10, (0.7225, 1.0)),
        (5, 10, (0.2366, 0.7634)),
        (81, 263, (0.2553, 0.3662)),  # reference values of the Wilson interval
    ],
)
def test_wilson_interval_reference_values(k, n, expected):
    lo, hi = stats.wilson_interval(k, n)
    assert lo == pytest.approx(expected[0], abs=1e-4) and hi == pytest.approx(expected[1], abs=1e-4)


def test_wilson_interval_narrows_with_more_runs_and_contains_the_rate():
    widths = []
    for n in (10, 100, 1000):
        lo, hi = stats.wilson_interval(int(0.3 * n), n)
        assert lo < 0.3 < hi
        widths.append(hi - lo)
    assert widths[0] > widths[1] > widths[2]


@pytest.mark.parametrize("k, n, field", [(1, 0, "n"), (-1, 5, "successes"), (6, 5, "successes"), (1.5, 5, "successes")])
def test_wilson_interval_bad_input(k, n, field):
    with pytest.raises(ValueError, match=field):
        stats.wilson_interval(k, n)


def test_success_table_groups_and_counts():
    frame = pd.DataFrame({"lr": [1, 1, 1, 2, 2], "success": [True, False, True, False, False]})
    table = stats.success_table(frame, by="lr")
    assert table.loc[1, "runs"] == 3 and table.loc[1, "successes"] == 2 and table.loc[1, "rate"] == pytest.approx(2 / 3)
    assert table.loc[2, "rate"] == 0 and table.loc[2, "ci_high"] > 0
    total = stats.success_table(frame)
    assert total.rate.iloc[0] == pytest.approx(0.4)
    two = stats.success_table(frame.assign(k=[0, 0, 1, 1, 1]), by=["lr", "k"])
    assert list(two.index.names) == ["lr", "k"] and two.runs.sum() == 5
    assert np.all(two.ci_low <= two.rate) and np.all(two.rate <= two.ci_high)


def test_success_table_bad_input():
    with pytest.raises(ValueError, match="no column 'ok'"):
        stats.success_table(pd.DataFrame({"success": [True]}), column="ok")
    with pytest.raises(ValueError, match="no runs"):
        stats.success_table(pd.DataFrame({"success": []}))


def _wilson_by_quadratic(k, n, z):
    """The Wilson interval as the two roots p of (k/n - p)^2 = z^2 p (1 - p) / n."""
    p_hat = k / n
    roots = np.roots([1 + z * z / n, -(2 * p_hat + z * z / n), p_hat * p_hat])
    return sorted(float(np.real(r)) for r in roots)


@pytest.mark.parametrize("k, n", [(0, 1), (1, 1), (1, 3), (7, 20), (50, 100), (999, 1000), (3, 7)])
@pytest.mark.parametrize("z", [1.0, 1.96, 2.576])
def test_wilson_interval_is_the_roots_of_the_score_equation(k, n, z):
    lo, hi = stats.wilson_interval(k, n, z=z)
    expected = _wilson_by_quadratic(k, n, z)
    assert lo == pytest.approx(expected[0], abs=1e-12) and hi == pytest.approx(expected[1], abs=1e-12)


def test_wilson_interval_default_z_is_95_percent():
    assert stats.wilson_interval(7, 20) == stats.wilson_interval(7, 20, z=1.96)
    assert stats.wilson_interval(7, 20) != stats.wilson_interval(7, 20, z=2.0)


def test_wilson_interval_all_success_and_all_fail_end_at_1_and_0_never_outside():
    # in exact arithmetic the bound is 1 (0); in floats the formula lands one ulp outside for n = 5, 18, ...
    for n in range(1, 60):
        hi, lo = stats.wilson_interval(n, n)[1], stats.wilson_interval(0, n)[0]
        assert hi <= 1.0 and hi == pytest.approx(1.0, abs=1e-15)
        assert lo >= 0.0 and lo == pytest.approx(0.0, abs=1e-15)


def test_wilson_interval_is_symmetric_in_success_and_failure():
    for k, n in [(0, 4), (1, 4), (3, 11), (40, 100)]:
        lo, hi = stats.wilson_interval(k, n)
        lo2, hi2 = stats.wilson_interval(n - k, n)
        assert lo == pytest.approx(1 - hi2, abs=1e-12) and hi == pytest.approx(1 - lo2, abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"successes": 0, "n": 0}, r"^n must be an integer >= 1, got 0$"),
        ({"successes": 1, "n": 2.0}, r"^n must be an integer, got 2.0$"),
        ({"successes": -1, "n": 5}, r"^successes must be an integer >= 0, got -1$"),
        ({"successes": 6, "n": 5}, r"^successes must be <= n, got successes=6, n=5$"),
        ({"successes": 1, "n": 5, "z": 0.0}, r"^z must be > 0, got 0.0$"),
        ({"successes": 1, "n": 5, "z": -1.96}, r"^z must be > 0, got -1.96$"),
        ({"successes": 1, "n": 5, "z": math.nan}, r"^z must be a finite number, got nan$"),
    ],
)
def test_wilson_interval_bad_input_names_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stats.wilson_interval(**kwargs)


def test_success_table_values_against_a_hand_count():
    frame = pd.DataFrame({"lr": [2, 1, 2, 1, 1, 2, 2], "success": [True, True, False, True, False, True, True]})
    table = stats.success_table(frame, by="lr")
    # groups keep the order of their first row (2 before 1), the index is named after `by`
    assert list(table.index) == [2, 1] and table.index.name == "lr"
    assert list(table.columns) == ["runs", "successes", "rate", "ci_low", "ci_high"]
    assert table.loc[2, "runs"] == 4 and table.loc[2, "successes"] == 3 and table.loc[2, "rate"] == 0.75
    assert table.loc[1, "runs"] == 3 and table.loc[1, "successes"] == 2 and table.loc[1, "rate"] == 2 / 3
    assert (table.loc[2, "ci_low"], table.loc[2, "ci_high"]) == stats.wilson_interval(3, 4)
    assert (table.loc[1, "ci_low"], table.loc[1, "ci_high"]) == stats.wilson_interval(2, 3)
    total = stats.success_table(frame)
    assert list(total.index) == ["all"] and total.index.name == "group"
    assert total.loc["all", "runs"] == 7 and total.loc["all", "successes"] == 5
    assert (total.loc["all", "ci_low"], total.loc["all", "ci_high"]) == stats.wilson_interval(5, 7)


def test_success_table_two_keys_keep_first_appearance_order():
    frame = pd.DataFrame({"a": ["y", "x", "y"], "b": [1, 0, 1], "ok": [True, False, False]})
    table = stats.success_table(frame, by=["a", "b"], column="ok")
    assert list(table.index) == [("y", 1), ("x", 0)] and list(table.index.names) == ["a", "b"]
    assert list(table.runs) == [2, 1] and list(table.successes) == [1, 0]


def test_success_table_messages():
    with pytest.raises(ValueError, match=r"^frame has no column 'ok'; columns: \['success'\]$"):
        stats.success_table(pd.DataFrame({"success": [True]}), column="ok")
    with pytest.raises(ValueError, match=r"^frame holds no runs$"):
        stats.success_table(pd.DataFrame({"success": []}))
