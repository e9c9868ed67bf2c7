r"""Success rates with honest error bars.

A success rate from n runs is a binomial proportion; its 95% interval is the
Wilson score interval :cite:p:`wilson1927probable`, which, unlike the textbook
:math:`\hat p \pm 1.96 \sqrt{\hat p(1-\hat p)/n}`, stays inside [0, 1] and
does not collapse to a point when every run succeeds or every run fails.
"""

from __future__ import annotations

import math
from typing import Sequence

import pandas as pd

from .utils import check_int, check_positive

__all__ = ["wilson_interval", "success_table"]


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    r"""The Wilson score interval :cite:p:`wilson1927probable` for ``successes`` out of ``n``.

    .. math::
        \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}}

    with :math:`\hat p = \text{successes}/n`; ``z = 1.96`` gives a 95% interval.
    """
    n = check_int("n", n, minimum=1)
    successes = check_int("successes", successes, minimum=0)
    if successes > n:
        raise ValueError(f"successes must be <= n, got successes={successes}, n={n}")
    z = check_positive("z", z)
    p = successes / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denom = 1 + z * z / n
    return max(0.0, (centre - half) / denom), min(1.0, (centre + half) / denom)


def success_table(frame: pd.DataFrame, by: str | Sequence[str] | None = None, column: str = "success") -> pd.DataFrame:
    """Runs, successes, rate and its 95% Wilson interval, per group of ``by``.

    ``frame`` has one row per run and a boolean ``column``. Without ``by`` the
    table has one row for all runs.
    """
    if column not in frame:
        raise ValueError(f"frame has no column {column!r}; columns: {list(frame.columns)}")
    if frame.empty:
        raise ValueError("frame holds no runs")
    groups = [("all", frame)] if by is None else frame.groupby(by, sort=False)
    rows = []
    for key, group in groups:
        k, n = int(group[column].sum()), len(group)
        lo, hi = wilson_interval(k, n)
        rows.append({"group": key, "runs": n, "successes": k, "rate": k / n, "ci_low": lo, "ci_high": hi})
    table = pd.DataFrame(rows)
    if by is not None:
        names = [by] if isinstance(by, str) else list(by)
        keys = table.pop("group")
        index = pd.MultiIndex.from_tuples(keys, names=names) if len(names) > 1 else pd.Index(keys, name=names[0])
        table.index = index
    else:
        table = table.set_index("group")
    return table
