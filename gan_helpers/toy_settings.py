r"""The settings of a toy run (:mod:`gan_helpers.toy_train`): each method's defaults, and its initial networks.

:func:`settings` merges three layers: the defaults of :class:`ToySettings`
(an MLP G with two hidden layers of 128 ReLU units and a 16-d latent; an MLP
D with two hidden layers of 128 LeakyReLU units; Adam(1e-3, betas (0.5,
0.999)); batches of 256), then the method's own (:data:`METHODS`), then the
caller's options. The methods' defaults follow their papers where the toy
allows: WGAN's clip 0.01, 5 critic steps and RMSprop(5e-5)
:cite:p:`arjovsky2017wasserstein`; WGAN-GP's 5 critic steps and Adam with
betas (0.5, 0.9), with the penalty weight 0.1 that the authors' own 2-D
experiments use rather than the paper's 10 for images
:cite:p:`gulrajani2017improved`; 5 unrolled steps :cite:p:`metz2017unrolled`;
packs of 2 :cite:p:`lin2018pacgan`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from . import toy_metrics, toys
from .ensemble import FlatAdam
from .mlp import MLPDiscriminator, MLPGenerator
from .utils import check_choice, check_int, check_nonnegative, check_positive

__all__ = ["DATASETS", "METHODS", "ToySettings", "settings", "make_networks", "make_optimizer", "draw_real"]

#: The benchmarks, by name: their samplers.
DATASETS = {"ring": toys.ring_2d, "grid": toys.grid_2d}


def draw_real(dataset: str, B: int, gens) -> torch.Tensor:
    """(R, B, 2): for each run, ``DATASETS[dataset](B, g)`` from its own generator ``g``, the same draws in
    the same order (B mode indices, then B x 2 normals), then one gather and one scale for every run."""
    centres, std = toy_metrics.BENCHMARKS[dataset]  # the sampler's defaults
    modes = torch.stack([torch.randint(len(centres), (B,), generator=g) for g in gens])  # (R, B)
    noise = torch.stack([torch.randn(B, 2, generator=g) for g in gens])  # (R, B, 2)
    return centres[modes] + std * noise


#: Each method's defaults, over those of :class:`ToySettings`.
METHODS: dict[str, dict] = {
    "gan": {},
    "r1": {"gamma": 0.1},
    "unrolled": {"unroll": 5},
    "pacgan": {"packing": 2},
    "wgan": {"clip": 0.01, "d_steps": 5, "optimizer": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5},
    "wgan-gp": {"gp_weight": 0.1, "d_steps": 5, "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.5, 0.9)},
}


@dataclass(frozen=True)
class ToySettings:
    """Everything a toy run depends on besides its seed. Build with :func:`settings`.

    ``lr_final``: both learning rates fall linearly from their values at the
    first step to ``lr_final`` times them at the last (1: constant).
    ``ema`` > 0: the G a run returns (and its snapshots) is the exponential
    moving average of G's weights with that decay, updated after every G step
    (:cite:t:`yazici2019unusual`); training itself is unchanged.
    ``gamma``, ``unroll``, ``packing``, ``clip`` and ``gp_weight`` switch on
    the methods' ingredients; ``snapshot_every`` > 0 keeps G's samples of
    ``snapshot_n`` fixed latent vectors every so many steps.
    """

    method: str = "gan"
    steps: int = 2000
    batch_size: int = 256
    latent_dim: int = 16
    g_hidden: tuple[int, ...] = (128, 128)
    d_hidden: tuple[int, ...] = (128, 128)
    optimizer: str = "adam"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    lr_final: float = 1.0
    ema: float = 0.0
    d_steps: int = 1
    loss: str = "non_saturating"
    gamma: float = 0.0
    unroll: int = 0
    packing: int = 1
    clip: float = 0.0
    gp_weight: float = 0.0
    log_every: int = 100
    snapshot_every: int = 0
    snapshot_n: int = 500

    def __post_init__(self) -> None:
        check_choice("method", self.method, tuple(METHODS))
        check_choice("optimizer", self.optimizer, ("adam", "rmsprop"))
        check_choice("loss", self.loss, ("non_saturating", "minimax"))
        for name in ("steps", "batch_size", "latent_dim", "d_steps", "log_every", "snapshot_n", "packing"):
            check_int(name, getattr(self, name), minimum=1)
        for name in ("unroll", "snapshot_every"):
            check_int(name, getattr(self, name), minimum=0)
        for name in ("lr_g", "lr_d"):
            check_positive(name, getattr(self, name))
        for name in ("gamma", "clip", "gp_weight"):
            check_nonnegative(name, getattr(self, name))
        if not isinstance(self.lr_final, (int, float)) or not 0 < self.lr_final <= 1:
            raise ValueError(
                f"lr_final must be in (0, 1] (the last step's share of the learning rates), got {self.lr_final!r}"
            )
        if not isinstance(self.ema, (int, float)) or not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1) (the decay of G's moving average; 0: none), got {self.ema!r}")
        if self.batch_size % self.packing:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of packing ({self.packing})")
        if self.unroll and self.optimizer != "adam":
            raise ValueError("unrolling follows D's Adam steps: use optimizer='adam' with unroll > 0")
        if (self.clip or self.gp_weight) and self.loss != "non_saturating":
            raise ValueError("a critic (clip or gp_weight > 0) has its own losses: leave loss at its default")
        if self.clip and self.gp_weight:
            raise ValueError("choose weight clipping (wgan) or the gradient penalty (wgan-gp), not both")

    @property
    def critic(self) -> bool:
        """True for the Wasserstein methods: D is a critic with raw scores and the WGAN losses."""
        return self.method in ("wgan", "wgan-gp")


def settings(method: str, **options) -> ToySettings:
    """The settings of ``method``: :class:`ToySettings`' defaults, then the method's (:data:`METHODS`), then ``options``.

    An unknown option raises ``ValueError`` listing the known ones.
    """
    method = check_choice("method", method, tuple(METHODS))
    known = {f for f in ToySettings.__dataclass_fields__ if f != "method"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown option(s) {unknown}; the options are {sorted(known)}")
    merged = {**METHODS[method], **options}
    for key in ("g_hidden", "d_hidden", "betas"):
        if key in merged:
            merged[key] = tuple(merged[key])
    return ToySettings(method=method, **merged)


def make_networks(s: ToySettings, seed: int) -> tuple[nn.Module, nn.Module]:
    """Run ``seed``'s initial G and D (D takes packs of ``s.packing`` points), drawn from ``Generator(seed)``.

    G: ``MLPGenerator`` with ReLU hidden layers and a linear output; D: an
    ``MLPDiscriminator`` with LeakyReLU(0.2) and no dropout. PyTorch's default
    initialisation, G's weights first, then D's, from one generator seeded
    with ``seed`` (apart from the generator the run trains with).
    """
    gen = torch.Generator().manual_seed(int(seed))
    G = MLPGenerator(s.latent_dim, out_shape=(2,), hidden=s.g_hidden, style="2014", output="linear", generator=gen)
    D = MLPDiscriminator((2 * s.packing,), s.d_hidden, style="modern", dropout=0.0, generator=gen)
    return G, D


def make_optimizer(params, lr: float, s: ToySettings) -> torch.optim.Optimizer:
    """Adam(lr, ``s.betas``) or RMSprop(lr), as ``s.optimizer`` says; ``foreach`` (a few batched operations).

    Not torch's fused Adam, though it steps faster: its rounding differs, and
    over thousands of steps a GAN's outcome follows its rounding (the lessons'
    and the table's numbers were measured with this one).
    """
    if s.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True)
    params = list(params)
    if len(params) == 1:  # a stacked network's one flat tensor: the same Adam, written out (faster)
        return FlatAdam(params[0], lr=lr, betas=s.betas)
    return torch.optim.Adam(params, lr=lr, betas=s.betas, foreach=True)
