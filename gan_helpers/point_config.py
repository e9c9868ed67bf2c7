r"""The single-point GAN's settings and its randomness: what every run of it shares.

The generator is one weight and one bias, :math:`G(x) = w x + b`, fed
:math:`x \sim U(-1, 1)`; the real data is the single value ``target`` (1), so
the solution is :math:`w = 0, b = 1` (:func:`is_success`). This module owns:

* :class:`PointConfig`, every option of a run except its seed and learning
  rates, with the named defaults :data:`ADAM_BETAS` and plain SGD
  (``momentum=0``);
* the draws of a run, all from one CPU ``torch.Generator`` seeded from the
  run's seed, in a fixed order: :func:`sample_inputs`, :func:`sample_normal`
  and the 9 initial parameters (:func:`initial_values`).

Both trainers, :func:`gan_helpers.point.train_single` (one run, ``nn.Module``)
and :func:`gan_helpers.point_sweep.simulate` (many runs at once), build on it;
:mod:`gan_helpers.point` re-exports every name.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch

from .utils import (
    check_betas,
    check_choice,
    check_finite,
    check_int,
    check_nonnegative,
    check_positive,
    check_unit_interval,
)

__all__ = [
    "ADAM_BETAS",
    "SUCCESS_TOL",
    "PointConfig",
    "is_success",
    "sample_inputs",
    "sample_normal",
    "initial_values",
]

#: Adam's ``(beta1, beta2)`` for the single-point GAN: PyTorch's default
#: (:cite:p:`kingma2015adam`). Lessons 1 and 2 were measured with it; the MNIST
#: and toy networks use (0.5, 0.999) instead, after :cite:t:`radford2016unsupervised`.
ADAM_BETAS: tuple[float, float] = (0.9, 0.999)

#: A run succeeds when ``|w| < SUCCESS_TOL`` and ``|b - target| < SUCCESS_TOL`` at the end.
SUCCESS_TOL = 0.1


@dataclass(frozen=True)
class PointConfig:
    r"""Every option of a single-point GAN run except the seed and learning rates.

    ``optimizer`` is ``"adam"`` (``torch.optim.Adam`` with ``betas``, default
    :data:`ADAM_BETAS`) or ``"sgd"`` (``torch.optim.SGD`` with ``momentum``,
    default 0: plain gradient descent; ``momentum > 0`` needs ``"sgd"``).
    The options beyond the plain GAN, used in lesson 2: two-sided label smoothing
    (``real_label``, ``fake_label``), weighting the fake term of D's loss
    (``fake_weight``), L2 weight decay on D (``d_weight_decay``), Gaussian
    noise on G's weight and bias during D's step with ``noise_draws`` draws
    per step (``noise_scale``), and the R1 penalty
    :math:`\frac{\gamma}{2}\,\mathbb{E}_{v\sim p_\text{data}}[D'(v)^2]` on D's
    logit at the real point (``r1_gamma``, :cite:p:`mescheder2018training`).

    Invalid values raise ``ValueError`` naming the field and the allowed range.
    """

    num_steps: int = 3000
    batch_size: int = 16
    target: float = 1.0
    optimizer: str = "adam"
    betas: tuple[float, float] = ADAM_BETAS
    momentum: float = 0.0
    init_scale: float = 1.0
    real_label: float = 1.0
    fake_label: float = 0.0
    fake_weight: float = 1.0
    d_weight_decay: float = 0.0
    noise_scale: float = 0.0
    noise_draws: int = 1
    r1_gamma: float = 0.0

    def __post_init__(self) -> None:
        check_int("num_steps", self.num_steps, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_finite("target", self.target)
        check_choice("optimizer", self.optimizer, ("adam", "sgd"))
        check_betas("betas", self.betas)
        if not 0.0 <= check_finite("momentum", self.momentum) < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.momentum > 0 and self.optimizer != "sgd":
            raise ValueError(f"momentum={self.momentum} is an option of optimizer='sgd', not {self.optimizer!r}")
        check_positive("init_scale", self.init_scale)
        check_unit_interval("real_label", self.real_label)
        check_unit_interval("fake_label", self.fake_label)
        check_positive("fake_weight", self.fake_weight)
        check_nonnegative("d_weight_decay", self.d_weight_decay)
        check_nonnegative("noise_scale", self.noise_scale)
        check_int("noise_draws", self.noise_draws, minimum=1)
        check_nonnegative("r1_gamma", self.r1_gamma)
        if self.noise_draws > 1 and self.noise_scale == 0:
            raise ValueError(
                f"noise_draws={self.noise_draws} asks for several noise draws but "
                "noise_scale=0 adds no noise: set noise_scale > 0 or noise_draws=1"
            )

    @classmethod
    def from_options(cls, **options) -> "PointConfig":
        """Build a config from keyword options; an unknown name is a ``ValueError``."""
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(names))
        if unknown:
            raise ValueError(f"unknown option(s) {unknown}; allowed options: {names}")
        return cls(**options)

    @property
    def uniforms_per_step(self) -> int:
        """How many uniforms one training step draws from the run's generator."""
        noise = 2 * self.noise_draws if self.noise_scale > 0 else 0
        return 2 * self.batch_size + noise


def is_success(w, b, target: float = 1.0, tol: float = SUCCESS_TOL) -> np.ndarray:
    """True where the generator is within ``tol`` of the solution ``w = 0, b = target`` (boolean array)."""
    w, b = np.asarray(w), np.asarray(b)
    return (np.abs(w) < tol) & (np.abs(b - target) < tol)


# ----------------------------------------------------------------------------
# Randomness shared by both trainers. Per step the order is: ``batch_size``
# uniforms for D's inputs, ``2 * noise_draws`` uniforms for the parameter noise
# (only when ``noise_scale > 0``), ``batch_size`` uniforms for G's inputs.
# ----------------------------------------------------------------------------


def sample_inputs(batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """G's input: ``batch_size`` values from U(-1, 1). Shape ``(batch_size,)``."""
    return torch.rand(batch_size, generator=generator) * 2 - 1


def box_muller(u: torch.Tensor) -> torch.Tensor:
    """Standard normals from uniforms in pairs along the last dim: (..., 2K) -> (..., K, 2)."""
    u = u.reshape(*u.shape[:-1], -1, 2)  # (..., K, 2)
    radius = torch.sqrt(-2.0 * torch.log1p(-u[..., 0]))  # 1 - u in (0, 1]: no log(0)
    angle = 2 * math.pi * u[..., 1]
    return torch.stack((radius * torch.cos(angle), radius * torch.sin(angle)), dim=-1)


def sample_normal(num_pairs: int, generator: torch.Generator) -> torch.Tensor:
    """``num_pairs`` pairs of independent N(0, 1) values, shape ``(num_pairs, 2)``.

    Drawn from ``2 * num_pairs`` uniforms by the Box-Muller transform, so the
    stream of uniforms (and hence a run) does not depend on how draws are
    grouped.
    """
    return box_muller(torch.rand(2 * num_pairs, generator=generator))


def initial_values(generator: torch.Generator, init_scale: float) -> dict[str, torch.Tensor]:
    """The 9 initial parameters of one run, each U(-init_scale, init_scale), in a fixed order.

    Keys ``w, b`` (G, shape (1,)), ``d_w1, d_b1, d_w2`` (D, shape (2,)) and ``d_b2`` (D, shape (1,)).
    """
    u = (torch.rand(9, generator=generator) * 2 - 1) * init_scale
    return {
        "w": u[0:1],
        "b": u[1:2],  # G
        "d_w1": u[2:4],
        "d_b1": u[4:6],
        "d_w2": u[6:8],
        "d_b2": u[8:9],  # D
    }
