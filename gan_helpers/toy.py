r"""The 2-D benchmarks of mode collapse, in one place: train, sample, judge (lessons 3, 6 and 7).

* :func:`train_toys` trains many seeds of one method at once
  (:mod:`gan_helpers.toy_train`); :func:`train_toy` trains one and returns
  its generator; :func:`sample` draws from a generator;
* :func:`~gan_helpers.toy_metrics.mode_metrics` judges samples by the
  definitions of :cite:t:`srivastava2017veegan`;
  :func:`~gan_helpers.toy_metrics.mode_coverage` and
  :func:`~gan_helpers.toy_metrics.wasserstein_1d` are the course's own
  measures (:mod:`gan_helpers.toy_metrics`, re-exported here);
* :data:`RECOMMENDED`: the method and options the lessons recommend for each
  benchmark, the ones the course's targets are measured with;
* :func:`results_table`: every method over 5 seeds on both benchmarks, as
  ``python benchmarks/bench_toy.py table`` measured it, beside the published
  rows (:data:`PUBLISHED`).

The benchmarks are the course's ring of 8 Gaussians (radius 2, standard
deviation 0.02, after :cite:t:`metz2017unrolled`) and grid of 25 (spacing 2,
standard deviation 0.05, the grid of :cite:t:`lin2018pacgan` and of a
notebook released with :cite:t:`srivastava2017veegan`). The papers compared
with judge, as here, 2,500 samples with a radius of 3 standard deviations:
0.06 on the ring and 0.15 on the grid. :cite:t:`lin2018pacgan` draw a ring of
radius 1 with standard deviation 0.01, the course's ring halved: every
distance scales, so the metrics are the same.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch
from torch import nn

from .toy_metrics import BENCHMARKS, ModeMetrics, mode_coverage, mode_metrics, normal_quantiles, wasserstein_1d
from .toy_train import DATASETS, METHODS, ToyRuns, ToySettings, settings, train_toys
from .utils import check_int

__all__ = [
    "train_toy",
    "train_toys",
    "sample",
    "RECOMMENDED",
    "PUBLISHED",
    "results_table",
    "METHODS",
    "DATASETS",
    "ToyRuns",
    "ToySettings",
    "settings",
    "mode_metrics",
    "ModeMetrics",
    "mode_coverage",
    "wasserstein_1d",
    "normal_quantiles",
    "BENCHMARKS",
]

#: benchmark -> (method, options): the settings the lessons recommend and the targets are measured with.
RECOMMENDED: dict[str, tuple[str, dict]] = {
    "ring": ("pacgan", {"steps": 9000, "batch_size": 512, "lr_final": 0.05}),
    "grid": (
        "pacgan",
        {"packing": 2, "steps": 18000, "batch_size": 512, "lr_final": 0.05, "d_hidden": (256, 256), "latent_dim": 2},
    ),
}


#: The published rows the lessons compare with: (source, dataset, method, modes covered, high-quality share, trials).
#: VEEGAN's Table 1 :cite:p:`srivastava2017veegan` (means of 5 runs, no error bars) and PacGAN's Table 1
#: :cite:p:`lin2018pacgan` (means of 10 trials; their standard errors are in the paper).
PUBLISHED: tuple[tuple[str, str, str, float, float, int], ...] = (
    ("VEEGAN Table 1", "ring", "GAN", 1.0, 0.993, 5),
    ("VEEGAN Table 1", "ring", "Unrolled GAN", 7.6, 0.356, 5),
    ("VEEGAN Table 1", "ring", "VEEGAN", 8.0, 0.529, 5),
    ("VEEGAN Table 1", "grid", "GAN", 3.3, 0.005, 5),
    ("VEEGAN Table 1", "grid", "Unrolled GAN", 23.6, 0.16, 5),
    ("VEEGAN Table 1", "grid", "VEEGAN", 24.6, 0.40, 5),
    ("PacGAN Table 1", "ring", "GAN", 6.3, 0.982, 10),
    ("PacGAN Table 1", "ring", "PacGAN2", 7.9, 0.956, 10),
    ("PacGAN Table 1", "grid", "GAN", 17.3, 0.948, 10),
    ("PacGAN Table 1", "grid", "PacGAN4", 24.8, 0.936, 10),
)


def train_toy(dataset: str, method: str, seed: int, *, progress: bool = False, **options) -> nn.Module:
    """One run of :func:`train_toys`: the trained G of ``seed``, as an ``MLPGenerator`` in eval mode."""
    return train_toys(dataset, method, [seed], progress=progress, **options).generator(0)


@torch.no_grad()
def sample(G: nn.Module, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` points of G, shape ``(n, 2)``: G on ``n`` latent vectors drawn from ``torch.Generator().manual_seed(seed)``."""
    n = check_int("n", n, minimum=1)
    if not hasattr(G, "latent_dim"):
        raise ValueError(f"G must have a .latent_dim (a course generator), got {type(G).__name__}")
    device = next(G.parameters()).device
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(int(seed))).to(device)
    x = G(z)
    if x.shape != (n, 2):
        raise ValueError(f"G must make 2-D points, got samples of shape {tuple(x.shape)}")
    return x.cpu()


#: The table ``python benchmarks/bench_toy.py table`` writes, shipped with the package.
TABLE = Path(__file__).resolve().parent / "tables" / "toy_methods.csv"


def results_table() -> pd.DataFrame:
    """The course's measured rows (mean and standard error over the seeds) and the published ones, one frame.

    Columns ``source`` ("this course", "VEEGAN Table 1", "PacGAN Table 1"),
    ``dataset``, ``method``, ``runs``, ``modes``, ``modes_se``,
    ``high_quality``, ``hq_se`` (NaN for the published rows) and
    ``cpu_s_per_run`` (ours only). Rebuild ours with
    ``python benchmarks/bench_toy.py table``.
    """
    if not TABLE.exists():
        raise FileNotFoundError(f"{TABLE} is missing: rebuild it with python benchmarks/bench_toy.py table")
    ours = pd.read_csv(TABLE)
    ours = pd.DataFrame(
        {
            "source": "this course",
            "dataset": ours.dataset,
            "method": ours.method,
            "runs": ours.seeds,
            "modes": ours.modes_mean,
            "modes_se": ours.modes_se,
            "high_quality": ours.hq_mean,
            "hq_se": ours.hq_se,
            "cpu_s_per_run": ours.cpu_s_per_run,
        }
    )
    theirs = pd.DataFrame(PUBLISHED, columns=["source", "dataset", "method", "modes", "high_quality", "runs"])
    return pd.concat([ours, theirs], ignore_index=True)[list(ours.columns)]
