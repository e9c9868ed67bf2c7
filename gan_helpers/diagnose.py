r"""Failure labels for a training run, from its history and, optionally, its samples.

:func:`diagnose` reads the history :func:`gan_helpers.train.train` returns
(and, for the 2-D toys, a :class:`~gan_helpers.toy_train.ToyRuns` history of
one run) and names what went wrong, with the numbers that say so. It measures
over the *tail* of the history, its last quarter by default, against its
*head*, the first quarter:

* **divergence**: a value is not finite, or (for objectives whose D is not a
  classifier: critics, the hinge loss) a loss or a score grew far beyond its
  early size, :math:`\max_{\text{tail}} |v| \,/\, (\operatorname{median}_{\text{head}} |v| + 1)
  \ge` ``blowup``. Critics without a constraint drift this way (lesson 7).
* **d_wins**: D tells real from fake almost perfectly,
  :math:`\overline{D(x)} - \overline{D(G(z))} \ge` ``d_gap`` over the tail
  (objectives whose D outputs probabilities); G's gradient then vanishes
  under the minimax loss (lessons 3 and 6).
* **collapse**: G's samples cover under ``coverage`` of the data's modes (the
  toys: a mode is covered when at least 1% of the samples have it as their
  nearest mode) or of the ten digits (MNIST: a class is covered when the
  course classifier assigns it at least 1% of the samples,
  :func:`~gan_helpers.metrics.classes_covered`). The history alone cannot
  show this: a collapsed G can leave D as unsure as a healthy one (lesson 6).
* **oscillation**: D's verdict on the fakes swings instead of settling: the
  standard deviation over the tail of :math:`\overline{D(G(z))}`, smoothed by
  a moving mean over 5 rows (so one batch's noise does not count), is at
  least ``swing``. Only for a D that outputs probabilities: a critic's
  estimate is as noisy as it swings (lesson 7).
* **healthy**: none of these.

Every label that applies is reported; the first in the order above is the
run's label. The thresholds (:data:`THRESHOLDS`) were chosen on the course's
own runs, healthy and failed, and the tests hold them to those runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from . import metrics, toy_metrics
from .utils import check_choice, check_positive

__all__ = ["LABELS", "THRESHOLDS", "Diagnosis", "diagnose", "modes_occupied"]

#: Each label, and what to try (the course's lessons on it).
LABELS: dict[str, str] = {
    "divergence": "lower the learning rates; give a critic its constraint (clipping, a gradient penalty); lesson 7",
    "d_wins": "use the non-saturating loss, or slow D down; lessons 3, 5 and 6",
    "collapse": "balance the learning rates, pack D's inputs (PacGAN) or unroll D; lesson 6",
    "oscillation": "lower the learning rates, add instance noise or a zero-centred gradient penalty (R1); lesson 2",
    "healthy": "nothing found: judge the samples themselves as well (lesson 9)",
}
#: The thresholds of :func:`diagnose`'s labels; pass ``thresholds={...}`` to change some.
THRESHOLDS: dict[str, float] = {"blowup": 5.0, "d_gap": 0.8, "coverage": 0.5, "swing": 0.1, "tail": 0.25}

_SIZES = ("loss_d", "loss_g", "score_real", "score_fake", "wasserstein")  # columns whose growth means divergence


@dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` found: the run's ``label``, every label that applies, and the measures behind them."""

    label: str
    found: tuple[str, ...]
    measures: dict[str, float] = field(default_factory=dict)

    def explain(self) -> str:
        """One line per label found: the measure, its threshold, and what to try."""
        m, lines = self.measures, []
        why = {
            "divergence": f"non-finite values: {m.get('nonfinite', 0):.0f}, growth {m.get('blowup', float('nan')):.1f}",
            "d_wins": f"D(x) - D(G(z)) over the tail: {m.get('d_gap', float('nan')):.2f}",
            "collapse": f"share of modes or classes covered: {m.get('coverage', float('nan')):.2f}",
            "oscillation": f"swing of D's verdict over the tail: {m.get('swing', float('nan')):.3f}",
            "healthy": "no measure past its threshold",
        }
        for label in self.found:
            lines.append(f"{label}: {why[label]}. Try: {LABELS[label]}")
        return "\n".join(lines)


def modes_occupied(samples: torch.Tensor, centres: torch.Tensor, min_share: float = 0.01) -> int:
    """How many of ``centres`` (K, 2) are the nearest centre of at least ``min_share`` of ``samples`` (N, 2)."""
    x = torch.as_tensor(samples).detach().to("cpu", torch.float64)
    c = torch.as_tensor(centres).to(torch.float64)
    if x.dim() != 2 or x.shape[1] != c.shape[1] or len(x) == 0:
        raise ValueError(f"samples must be (N, {c.shape[1]}) with N >= 1, got {tuple(x.shape)}")
    nearest = torch.cdist(x, c).argmin(dim=1)  # (N,)
    share = torch.bincount(nearest, minlength=len(c)).double() / len(x)
    return int((share >= min_share).sum())


def _coverage(samples, dataset: str | None) -> float:
    if dataset is not None:
        centres, _ = toy_metrics.BENCHMARKS[check_choice("dataset", dataset, tuple(toy_metrics.BENCHMARKS))]
        return modes_occupied(samples, centres) / len(centres)
    if samples.dim() == 4:
        return metrics.classes_covered(samples) / metrics.NUM_CLASSES
    raise ValueError("samples must be MNIST images (N, 1, 28, 28), or 2-D points (N, 2) with dataset='ring' or 'grid'")


def _smooth(values: pd.Series, rows: int = 5) -> pd.Series:
    """A centred moving mean over ``rows`` history rows: a swing, not one batch's noise."""
    return values.rolling(rows, center=True).mean().dropna()


def diagnose(
    history: pd.DataFrame, samples: torch.Tensor | None = None, dataset: str | None = None, thresholds=None
) -> Diagnosis:
    """Label a run from its ``history`` (one run's rows) and, optionally, G's ``samples``; see the module docstring."""
    t = {**THRESHOLDS, **(thresholds or {})}
    for name in t:
        check_choice("threshold", name, tuple(THRESHOLDS))
        check_positive(name, t[name])
    if not isinstance(history, pd.DataFrame) or "loss_d" not in history or len(history) < 4:
        raise ValueError("history must be a DataFrame of at least 4 rows with a loss_d column (train.train's)")
    if "run" in history and history["run"].nunique() > 1:
        raise ValueError("history holds several runs: pass one, e.g. runs.history[runs.history.run == 0]")
    n = max(2, int(round(len(history) * t["tail"])))
    head, tail = history.iloc[:n], history.iloc[-n:]
    numeric = history.drop(columns=[c for c in ("run", "seed", "step", "seconds") if c in history]).select_dtypes(
        "number"
    )
    m: dict[str, float] = {"nonfinite": float((~np.isfinite(numeric.to_numpy())).sum())}
    # a BCE loss grows when D wins (its own label); divergence is growth of unbounded values
    sizes = [] if "d_real" in history else [c for c in _SIZES if c in history]
    m["blowup"] = max((tail[c].abs().max() / (head[c].abs().median() + 1) for c in sizes), default=0.0)
    if {"d_real", "d_fake"} <= set(history):
        m["d_gap"] = float(tail["d_real"].mean() - tail["d_fake"].mean())
        m["swing"] = float(_smooth(tail["d_fake"]).std())
    if samples is not None:
        m["coverage"] = _coverage(samples, dataset)
    found = []
    if m["nonfinite"] > 0 or not m["blowup"] < t["blowup"]:
        found.append("divergence")
    if m.get("d_gap", -1.0) >= t["d_gap"]:
        found.append("d_wins")
    if m.get("coverage", 1.0) < t["coverage"]:
        found.append("collapse")
    if m.get("swing", 0.0) >= t["swing"]:
        found.append("oscillation")
    found = found or ["healthy"]
    return Diagnosis(label=found[0], found=tuple(found), measures={k: float(v) for k, v in m.items()})
