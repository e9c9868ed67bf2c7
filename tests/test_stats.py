import numpy as np
import pandas as pd
import pytest

from gan_helpers import stats


@pytest.mark.parametrize(
    "k, n, expected",
    [
        (0, 10, (0.0, 0.2775)),      # the classic all-fail case: not the degenerate (0, 0)
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
