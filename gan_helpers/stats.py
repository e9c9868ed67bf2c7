r"""Success rates with honest error bars, and paired tests for comparing two settings.

A success rate from n runs is a binomial proportion; its 95% interval is the
Wilson score interval :cite:p:`wilson1927probable`, which, unlike the textbook
:math:`\hat p \pm 1.96 \sqrt{\hat p(1-\hat p)/n}`, stays inside [0, 1] and
does not collapse to a point when every run succeeds or every run fails.

Two settings run on the *same* seeds are compared seed by seed: only the
pairs where the two disagree carry evidence. :func:`mcnemar` counts them for
success or failure, :func:`sign_test` for any number (lower or higher), and
both ask how likely so uneven a split would be if each disagreement were a
fair coin: an exact two-sided binomial test with :math:`p = 1/2`
:cite:p:`mcnemar1947note`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .utils import check_int, check_positive

__all__ = ["wilson_interval", "success_table", "PairedTest", "binomial_split_p", "mcnemar", "sign_test"]


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


@dataclass(frozen=True)
class PairedTest:
    """Two settings compared pair by pair: how often each came out ahead, the ties, and the p-value."""

    a_ahead: int
    b_ahead: int
    ties: int
    p_value: float


def binomial_split_p(n_a: int, n_b: int) -> float:
    r"""Two-sided exact p-value of a split ``n_a`` : ``n_b`` of fair coin flips.

    .. math::  p = \min\Big(1,\ 2 \sum_{i=0}^{k} \binom{n}{i} 2^{-n}\Big),
               \qquad n = n_a + n_b,\ k = \min(n_a, n_b);

    1 when there is nothing to split (n = 0).
    """
    n_a, n_b = check_int("n_a", n_a, minimum=0), check_int("n_b", n_b, minimum=0)
    n, k = n_a + n_b, min(n_a, n_b)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def _paired(name_a: str, a, name_b: str, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(
            f"{name_a} and {name_b} must be 1-D and paired (same length >= 1), got shapes {a.shape} and {b.shape}"
        )
    return a, b


def mcnemar(success_a: Sequence[bool], success_b: Sequence[bool]) -> PairedTest:
    """McNemar's exact test :cite:p:`mcnemar1947note` for successes of two settings on the same runs.

    ``a_ahead``: runs only A solved; ``b_ahead``: runs only B solved; ``ties``:
    runs both or neither solved; ``p_value`` from :func:`binomial_split_p`.
    """
    a, b = _paired("success_a", success_a, "success_b", success_b)
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("success_a and success_b must hold booleans (or 0 and 1)")
    a, b = a.astype(bool), b.astype(bool)
    a_ahead, b_ahead = int((a & ~b).sum()), int((~a & b).sum())
    return PairedTest(a_ahead, b_ahead, len(a) - a_ahead - b_ahead, binomial_split_p(a_ahead, b_ahead))


def sign_test(values_a: Sequence[float], values_b: Sequence[float], higher_is_better: bool = True) -> PairedTest:
    """The sign test for numbers of two settings on the same seeds (ties dropped).

    ``a_ahead`` counts the pairs where A's value is better (higher, or lower
    with ``higher_is_better=False``), ``b_ahead`` those where B's is.
    """
    a, b = _paired("values_a", values_a, "values_b", values_b)
    a, b = a.astype(float), b.astype(float)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("values_a and values_b must be finite numbers")
    diff = (a - b) if higher_is_better else (b - a)
    a_ahead, b_ahead = int((diff > 0).sum()), int((diff < 0).sum())
    return PairedTest(a_ahead, b_ahead, len(a) - a_ahead - b_ahead, binomial_split_p(a_ahead, b_ahead))
