r"""The single-point GAN: a generator that must learn to output one number.

The generator is one weight and one bias, :math:`G(x) = w x + b`, fed
:math:`x \sim U(-1, 1)`; the real data is the single value ``target`` (1), so
the solution is :math:`w = 0, b = 1`. The discriminator is the smallest
network that can be bell-shaped: one input, two sigmoid hidden units, one
output logit,

.. math::  D(v) = \sigma\big(a_1\,\sigma(u_1 v + c_1) + a_2\,\sigma(u_2 v + c_2) + c\big).

This module owns the networks (:class:`Generator`, :class:`Discriminator`,
:func:`make_models`) and :func:`train_single`, the loop of lesson 1 written
with ``nn.Module`` and ``torch.optim`` as a reader would write it. It is also
where the lessons import the whole single-point GAN from; it re-exports

* :mod:`~gan_helpers.point_config`: :class:`PointConfig`, :data:`~gan_helpers.point_config.ADAM_BETAS`,
  :func:`is_success`, :data:`~gan_helpers.point_config.SUCCESS_TOL`, :func:`sample_inputs`, :func:`sample_normal`;
* :mod:`~gan_helpers.point_sweep`: :func:`simulate`, :func:`sweep`,
  :class:`SweepResult` (many runs at once, tested to agree with
  :func:`train_single` step by step), and
  :func:`~gan_helpers.point_engine.discriminator_prob`;
* :mod:`~gan_helpers.presets`: :data:`~gan_helpers.presets.PRESETS`, :func:`preset`;
* :mod:`~gan_helpers.point_analysis`: :data:`~gan_helpers.point_analysis.FAILURE_TYPES`,
  :func:`failure_modes`, :func:`d_slope`, :func:`bell_params`, :func:`judge`;
* :mod:`~gan_helpers.dirac`: :func:`dirac_field`, :func:`dirac_trajectory`.

Randomness: run ``seed`` draws everything (initial parameters, then every
step's inputs and noise) from ``torch.Generator().manual_seed(seed)`` in the
fixed order of :mod:`~gan_helpers.point_config`.
"""

from __future__ import annotations

import math
from typing import Callable

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .dirac import dirac_field, dirac_trajectory
from .point_analysis import FAILURE_TYPES, bell_params, d_slope, failure_modes, judge
from .point_config import (
    ADAM_BETAS,
    SUCCESS_TOL,
    PointConfig,
    initial_values,
    is_success,
    sample_inputs,
    sample_normal,
)
from .point_engine import discriminator_prob
from .point_sweep import SweepResult, simulate, sweep
from .presets import PRESETS, preset
from .utils import check_int, check_positive, torch_threads

__all__ = [
    # defined here
    "Generator",
    "Discriminator",
    "make_models",
    "make_optimizer",
    "train_single",
    # re-exported
    "PointConfig",
    "ADAM_BETAS",
    "SUCCESS_TOL",
    "is_success",
    "sample_inputs",
    "sample_normal",
    "simulate",
    "sweep",
    "SweepResult",
    "discriminator_prob",
    "PRESETS",
    "preset",
    "FAILURE_TYPES",
    "failure_modes",
    "d_slope",
    "bell_params",
    "judge",
    "dirac_field",
    "dirac_trajectory",
]


class Generator(nn.Module):
    """G(x) = w * x + b, one weight and one bias, element by element: ``(B,) -> (B,)``, or any shape to the same shape."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.unsqueeze(-1)).squeeze(-1)


class Discriminator(nn.Module):
    """A 1 -> 2 -> 1 MLP with sigmoid hidden units; returns logits. ``(B,) -> (B,)``, or any shape to the same shape.

    Apply ``torch.sigmoid`` to the output to read it as P(real).
    """

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(1, 2)
        self.out = nn.Linear(2, 1)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        h = torch.sigmoid(self.hidden(v.unsqueeze(-1)))  # (B, 2)
        return self.out(h).squeeze(-1)  # (B,)


def make_models(generator: torch.Generator, init_scale: float = 1.0) -> tuple[Generator, Discriminator]:
    """A fresh ``(G, D)`` pair whose parameters are drawn from ``generator`` (:func:`initial_values`)."""
    init_scale = check_positive("init_scale", init_scale)
    values = initial_values(generator, init_scale)
    G, D = Generator(), Discriminator()
    with torch.no_grad():
        G.linear.weight.copy_(values["w"].view(1, 1))
        G.linear.bias.copy_(values["b"])
        D.hidden.weight.copy_(values["d_w1"].view(2, 1))
        D.hidden.bias.copy_(values["d_b1"])
        D.out.weight.copy_(values["d_w2"].view(1, 2))
        D.out.bias.copy_(values["d_b2"])
    return G, D


def make_optimizer(params, lr: float, config: PointConfig, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """``torch.optim.Adam`` with ``config.betas``, or ``torch.optim.SGD`` with ``config.momentum``."""
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(config.betas), weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=weight_decay)


def train_single(
    seed: int,
    lr_g: float,
    lr_d: float,
    config: PointConfig | None = None,
    callback: Callable[[int, Generator, Discriminator], None] | None = None,
    threads: int | None = 1,
    **options,
) -> pd.DataFrame:
    """Train one run and return its history: one row per step.

    Columns: ``step, w, b, loss_d, loss_g`` (parameters after the step).
    ``callback(step, G, D)`` is called after every step (for animation frames).
    Options are the fields of :class:`PointConfig`, given either as ``config``
    or as keywords. A non-finite loss or parameter stops the run with
    ``FloatingPointError`` naming the step. ``threads`` CPU threads are used
    while it runs (:func:`~gan_helpers.utils.torch_threads`; ``None`` leaves
    torch's setting alone): one is fastest for these tiny tensors and gives
    the same numbers.
    """
    seed = check_int("seed", seed, minimum=0)
    lr_g, lr_d = check_positive("lr_g", lr_g), check_positive("lr_d", lr_d)
    if config is None:
        config = PointConfig.from_options(**options)
    elif options:
        raise ValueError(f"give options either as config or as keywords, not both: {sorted(options)}")
    with torch_threads(threads):
        return _train_single(seed, lr_g, lr_d, config, callback)


def _train_single(seed: int, lr_g: float, lr_d: float, cfg: PointConfig, callback) -> pd.DataFrame:
    gen = torch.Generator().manual_seed(seed)
    G, D = make_models(gen, cfg.init_scale)
    opt_g = make_optimizer(G.parameters(), lr_g, cfg)
    opt_d = make_optimizer(D.parameters(), lr_d, cfg, weight_decay=cfg.d_weight_decay)
    bce = F.binary_cross_entropy_with_logits
    x_real = torch.full((cfg.batch_size,), float(cfg.target))
    real_labels = torch.full((cfg.batch_size,), float(cfg.real_label))
    ones = torch.ones(cfg.batch_size)

    rows = []
    for step in range(1, cfg.num_steps + 1):
        # --- D's step: real value against G's (detached) outputs
        x = sample_inputs(cfg.batch_size, gen)
        w, b = G.linear.weight.detach().view(1), G.linear.bias.detach()
        if cfg.noise_scale > 0:
            eps = sample_normal(cfg.noise_draws, gen) * cfg.noise_scale  # (K, 2)
            x_fake = (w + eps[:, :1]) * x + (b + eps[:, 1:])  # (K, B)
        else:
            x_fake = G(x).detach().unsqueeze(0)  # (1, B)
        x_real_req = x_real.clone().requires_grad_(cfg.r1_gamma > 0)
        logits_real = D(x_real_req)
        logits_fake = D(x_fake.reshape(-1))
        loss_d = bce(logits_real, real_labels) + cfg.fake_weight * bce(
            logits_fake, torch.full_like(logits_fake, float(cfg.fake_label))
        )
        if cfg.r1_gamma > 0:
            (grad_real,) = torch.autograd.grad(logits_real.sum(), x_real_req, create_graph=True)
            loss_d = loss_d + cfg.r1_gamma / 2 * grad_real.pow(2).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

        # --- G's step: make D call G's outputs real
        x = sample_inputs(cfg.batch_size, gen)
        loss_g = bce(D(G(x)), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

        row = (step, G.linear.weight.item(), G.linear.bias.item(), loss_d.item(), loss_g.item())
        if not all(math.isfinite(v) for v in row[1:]):
            raise FloatingPointError(
                f"run seed={seed} (lr_g={lr_g}, lr_d={lr_d}) diverged at step {step}: "
                f"w={row[1]}, b={row[2]}, loss_d={row[3]}, loss_g={row[4]}"
            )
        rows.append(row)
        if callback is not None:
            callback(step, G, D)
    return pd.DataFrame(rows, columns=["step", "w", "b", "loss_d", "loss_g"])
