r"""The single-point GAN: a generator that must learn to output one number.

The generator is one weight and one bias, :math:`G(x) = w x + b`, fed
:math:`x \sim U(-1, 1)`; the real data is the single value ``target`` (1), so
the solution is :math:`w = 0, b = 1`. The discriminator is the smallest
network that can be bell-shaped: one input, two sigmoid hidden units, one
output logit,

.. math::  D(v) = \sigma\big(a_1\,\sigma(u_1 v + c_1) + a_2\,\sigma(u_2 v + c_2) + c\big).

Two ways to train it live here and are tested to agree step by step:

* :func:`train_single` is the loop of lesson 1, written with ``nn.Module``
  and ``torch.optim`` as a reader would write it;
* :func:`simulate` / :func:`sweep` train many independent runs (seeds x
  learning-rate pairs) at once: every parameter carries a leading run
  dimension ``R`` and one optimiser step updates all runs together. Runs
  never mix: the loss is a sum over runs, so each run's gradient is its own.

Randomness: run ``seed`` draws everything (initial parameters, then every
step's inputs and noise) from ``torch.Generator().manual_seed(seed)`` in a
fixed order, so a run's numbers do not depend on which other runs share the
sweep. Per step the order is: ``batch_size`` uniforms for D's inputs,
``2 * noise_draws`` uniforms for the parameter noise (only when
``noise_scale > 0``), ``batch_size`` uniforms for G's inputs.

Options (fields of :class:`PointConfig`) beyond the plain GAN, used in
lesson 2: label easing (``real_label``, ``fake_label``), weighting the fake
term of D's loss (``fake_weight``), L2 weight decay on D (``d_weight_decay``),
Gaussian noise on G's weight and bias during D's step with ``noise_draws``
draws per step (``noise_scale``), and the R1 penalty
:math:`\frac{\gamma}{2}\,\mathbb{E}_{v\sim p_\text{data}}[D'(v)^2]` on D's logit
at the real point (``r1_gamma``, Mescheder, Geiger and Nowozin 2018).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

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
    "PointConfig",
    "Generator",
    "Discriminator",
    "make_models",
    "sample_inputs",
    "sample_normal",
    "train_single",
    "simulate",
    "sweep",
    "SweepResult",
    "discriminator_prob",
    "is_success",
    "SUCCESS_TOL",
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

#: A run succeeds when ``|w| < SUCCESS_TOL`` and ``|b - target| < SUCCESS_TOL`` at the end.
SUCCESS_TOL = 0.1


@dataclass(frozen=True)
class PointConfig:
    """Every option of a single-point GAN run except the seed and learning rates.

    Invalid values raise ``ValueError`` naming the field and the allowed range.
    """

    num_steps: int = 3000
    batch_size: int = 16
    target: float = 1.0
    optimizer: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)
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


# ----------------------------------------------------------------------------
# Randomness shared by both implementations
# ----------------------------------------------------------------------------


def sample_inputs(batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """G's input: ``batch_size`` values from U(-1, 1). Shape ``(batch_size,)``."""
    return torch.rand(batch_size, generator=generator) * 2 - 1


def _box_muller(u: torch.Tensor) -> torch.Tensor:
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
    return _box_muller(torch.rand(2 * num_pairs, generator=generator))


def _initial_values(generator: torch.Generator, init_scale: float) -> dict[str, torch.Tensor]:
    """The 9 initial parameters of one run, each U(-init_scale, init_scale), in a fixed order."""
    u = (torch.rand(9, generator=generator) * 2 - 1) * init_scale
    return {
        "w": u[0:1], "b": u[1:2],  # G
        "d_w1": u[2:4], "d_b1": u[4:6], "d_w2": u[6:8], "d_b2": u[8:9],  # D
    }


# ----------------------------------------------------------------------------
# The single run, as in lesson 1
# ----------------------------------------------------------------------------


class Generator(nn.Module):
    """G(x) = w * x + b, one weight and one bias. ``(B,) -> (B,)``."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.unsqueeze(-1)).squeeze(-1)


class Discriminator(nn.Module):
    """A 1 -> 2 -> 1 MLP with sigmoid hidden units; returns logits. ``(B,) -> (B,)``.

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
    """A fresh ``(G, D)`` pair whose parameters are drawn from ``generator``."""
    init_scale = check_positive("init_scale", init_scale)
    values = _initial_values(generator, init_scale)
    G, D = Generator(), Discriminator()
    with torch.no_grad():
        G.linear.weight.copy_(values["w"].view(1, 1))
        G.linear.bias.copy_(values["b"])
        D.hidden.weight.copy_(values["d_w1"].view(2, 1))
        D.hidden.bias.copy_(values["d_b1"])
        D.out.weight.copy_(values["d_w2"].view(1, 2))
        D.out.bias.copy_(values["d_b2"])
    return G, D


def _make_optimizer(params, lr: float, config: PointConfig, weight_decay: float = 0.0):
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(config.betas), weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)


def train_single(
    seed: int,
    lr_g: float,
    lr_d: float,
    config: PointConfig | None = None,
    callback: Callable[[int, Generator, Discriminator], None] | None = None,
    **options,
) -> pd.DataFrame:
    """Train one run and return its history: one row per step.

    Columns: ``step, w, b, loss_d, loss_g`` (parameters after the step).
    ``callback(step, G, D)`` is called after every step (for animation frames).
    Options are the fields of :class:`PointConfig`, given either as ``config``
    or as keywords. A non-finite loss or parameter stops the run with
    ``FloatingPointError`` naming the step.
    """
    seed = check_int("seed", seed, minimum=0)
    lr_g, lr_d = check_positive("lr_g", lr_g), check_positive("lr_d", lr_d)
    if config is None:
        config = PointConfig.from_options(**options)
    elif options:
        raise ValueError(f"give options either as config or as keywords, not both: {sorted(options)}")
    cfg = config
    gen = torch.Generator().manual_seed(seed)
    G, D = make_models(gen, cfg.init_scale)
    opt_g = _make_optimizer(G.parameters(), lr_g, cfg)
    opt_d = _make_optimizer(D.parameters(), lr_d, cfg, weight_decay=cfg.d_weight_decay)
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


# ----------------------------------------------------------------------------
# Many runs at once
# ----------------------------------------------------------------------------
#
# Each run's D is stored as one row of a (R, 7) tensor, columns
# [u1, u2, c1, c2, a1, a2, c0] (hidden weights, hidden biases, output weights,
# output bias), and its G as a row [w, b] of a (R, 2) tensor. The gradients are
# written out by hand (three lines of calculus, below) rather than taken by
# autograd: on a CPU this halves the time per step, and the test against
# ``train_single`` (autograd) checks every one of them.

_D_COLS = {"d_w1": slice(0, 2), "d_b1": slice(2, 4), "d_w2": slice(4, 6), "d_b2": slice(6, 7)}


def _d_parts(theta_d: torch.Tensor):
    """Views of a (R, 7) D tensor, shaped to broadcast against (R, N, 2)."""
    u, c, a = (theta_d[:, None, i : i + 2] for i in (0, 2, 4))  # (R, 1, 2) each
    return u, c, a, theta_d[:, 6:7]  # c0: (R, 1)


def _d_forward(theta_d: torch.Tensor, v: torch.Tensor):
    """Hidden activations (R, N, 2) and logits (R, N) of every run's D at values ``v`` (R, N)."""
    u, c, a, c0 = _d_parts(theta_d)
    h = torch.sigmoid(v.unsqueeze(-1) * u + c)  # (R, N, 2)
    return h, (h * a).sum(-1) + c0  # (R, N)


def _theta_d(params: dict[str, np.ndarray]) -> torch.Tensor:
    """The (R, 7) D tensor from a batched parameter dict (``SweepResult.params``)."""
    R = len(np.atleast_1d(params["d_b2"]))
    return torch.cat([torch.as_tensor(np.asarray(params[k], dtype=np.float32)).reshape(R, -1) for k in _D_COLS], 1)


def _per_run_values(values, runs: int) -> torch.Tensor:
    """Values as a float tensor (R, N): one grid (N,) shared by all runs, or one row per run."""
    v = torch.as_tensor(np.asarray(values, dtype=np.float32))
    return v.expand(runs, -1) if v.dim() == 1 else v


def discriminator_prob(params: dict[str, np.ndarray], values) -> np.ndarray:
    """P(real) from every run's D: an array (R, N).

    ``params`` is a batched parameter dict, e.g. ``SweepResult.params``;
    ``values`` is one grid (N,) shared by all runs, or one row per run (R, N).
    """
    theta_d = _theta_d(params)
    v = _per_run_values(values, theta_d.shape[0])
    with torch.no_grad():
        return torch.sigmoid(_d_forward(theta_d, v)[1]).numpy()


def _d_grad(theta_d, v, y, weight, n_real: int, fake_weight: float, r1_gamma: float, target: float):
    r"""D's loss (R,) and its gradient (R, 7) for every run.

    The loss is :math:`\sum_i \omega_i\,\ell(l_i, y_i)` with
    :math:`\ell(l, y) = \mathrm{softplus}(l) - y l` (BCE on logits), so
    :math:`\partial \ell/\partial l = \sigma(l) - y =: \delta`. With
    :math:`h_j = \sigma(u_j v + c_j)` and :math:`l = \sum_j a_j h_j + c_0`:

    .. math::
        \partial_{a_j} = \sum_i \omega_i\delta_i h_{ij},\quad
        \partial_{c_0} = \sum_i \omega_i\delta_i,\quad
        \partial_{c_j} = \sum_i \omega_i\delta_i a_j h_{ij}(1-h_{ij}),\quad
        \partial_{u_j} = \sum_i \omega_i\delta_i a_j h_{ij}(1-h_{ij}) v_i.

    R1 adds :math:`\frac{\gamma}{2} g^2` with :math:`g = l'(T) = \sum_j a_j u_j s_j`,
    :math:`s_j = h_j(1-h_j)` at the target :math:`T`, whose gradient is
    :math:`\gamma g\,(u_j s_j)` for :math:`a_j`,
    :math:`\gamma g\,a_j (s_j + u_j s'_j T)` for :math:`u_j` and
    :math:`\gamma g\,a_j u_j s'_j` for :math:`c_j`, with :math:`s' = s(1-2h)`.
    """
    u, c, a, c0 = _d_parts(theta_d)
    h, logits = _d_forward(theta_d, v)
    per_value = F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none")
    loss = per_value[:, :n_real].mean(1) + fake_weight * per_value[:, n_real:].mean(1)  # as train_single sums it
    delta = ((torch.sigmoid(logits) - y) * weight).unsqueeze(-1)  # (R, N, 1)
    back = (delta * a) * (h * (1 - h))  # (R, N, 2): d loss / d (u v + c), in autograd's order
    grad = torch.cat(
        [(back * v.unsqueeze(-1)).sum(1), back.sum(1), (delta * h).sum(1), delta.sum(1)], 1
    )  # (R, 7)
    if r1_gamma > 0:
        u, c, a = u[:, 0], c[:, 0], a[:, 0]  # (R, 2)
        h_t = torch.sigmoid(u * target + c)
        s = h_t * (1 - h_t)
        s_prime = s * (1 - 2 * h_t)
        g = r1_gamma * (a * u * s).sum(1, keepdim=True)  # gamma * l'(T): (R, 1)
        grad = grad + torch.cat(
            [g * a * (s + u * s_prime * target), g * a * u * s_prime, g * u * s, torch.zeros_like(g)], 1
        )
        loss = loss + g.squeeze(1) ** 2 / (2 * r1_gamma)  # = gamma / 2 * l'(T)^2
    return loss, grad


def _g_grad(theta_g, theta_d, x):
    r"""G's loss :math:`\frac1B\sum_i \ell(l(w x_i + b), 1)` (R,) and its gradient (R, 2) for every run.

    :math:`\partial_v \ell = (\sigma(l) - 1)\sum_j a_j u_j h_j(1-h_j)`, then
    :math:`\partial_w = \frac1B\sum_i \partial_v\ell_i\,x_i`, :math:`\partial_b = \frac1B\sum_i \partial_v\ell_i`.
    """
    u, _, a, _ = _d_parts(theta_d)
    v = theta_g[:, :1] * x + theta_g[:, 1:]  # (R, B)
    h, logits = _d_forward(theta_d, v)
    dl = ((torch.sigmoid(logits) - 1) / x.shape[1]).unsqueeze(-1)  # (R, B, 1)
    dv = ((dl * a) * (h * (1 - h)) * u).sum(-1)  # (R, B), multiplied in autograd's order
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none").mean(1)
    return loss, torch.stack([(dv * x).sum(1), dv.sum(1)], 1)


class _BatchedOptimizer:
    """Adam or SGD on a (R, P) tensor with one learning rate per run (``lr``: (R, 1)).

    Follows ``torch.optim.Adam`` / ``SGD`` with L2 ``weight_decay`` added to
    the gradient, so a run here takes the same steps as ``train_single``.
    Rows whose ``active`` flag is False are left unchanged.
    """

    def __init__(self, param: torch.Tensor, lr: torch.Tensor, config: PointConfig, weight_decay: float = 0.0):
        self.p, self.lr, self.cfg, self.wd = param, lr, config, weight_decay
        self.m, self.v = torch.zeros_like(param), torch.zeros_like(param)
        self.t = 0

    def step(self, grad: torch.Tensor, active: torch.Tensor) -> None:
        self.t += 1
        if self.wd:
            grad = grad + self.wd * self.p
        if self.cfg.optimizer == "sgd":
            update = self.lr * grad
        else:
            beta1, beta2 = self.cfg.betas
            self.m.mul_(beta1).add_(grad, alpha=1 - beta1)
            self.v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = (self.v.sqrt() / math.sqrt(1 - beta2**self.t)).add_(1e-8)
            update = (self.lr / (1 - beta1**self.t)) * self.m / denom
        self.p.sub_(torch.where(active.unsqueeze(1), update, torch.zeros_like(update)))


@dataclass
class SweepResult:
    """What :func:`simulate` returns.

    ``frame``: one row per run (see :func:`sweep`). ``params``: every run's
    final parameters as batched arrays (``w`` (R,), ``d_w1`` (R, 2), ...).
    ``history``: (R, T, 2) array of (w, b) after steps ``steps`` (empty when
    ``record_every`` was None).
    """

    frame: pd.DataFrame
    params: dict[str, np.ndarray]
    steps: np.ndarray
    history: np.ndarray
    config: PointConfig = field(repr=False)


def _lr_pairs(lrs) -> list[tuple[float, float]]:
    if np.isscalar(lrs):
        lrs = [lrs]
    pairs = []
    for i, item in enumerate(lrs):
        lr_g, lr_d = (item, item) if np.isscalar(item) else tuple(item)
        pairs.append((check_positive(f"lrs[{i}] lr_g", lr_g), check_positive(f"lrs[{i}] lr_d", lr_d)))
    if not pairs:
        raise ValueError("lrs must hold at least one learning rate or (lr_g, lr_d) pair, got an empty list")
    return pairs


def _seeds(seeds) -> list[int]:
    if np.isscalar(seeds):
        seeds = [seeds]
    out = [check_int(f"seeds[{i}]", s, minimum=0) for i, s in enumerate(seeds)]
    if not out:
        raise ValueError("seeds must hold at least one non-negative integer, got an empty list")
    return out


def simulate(
    seeds: int | Iterable[int],
    lrs: float | Iterable[float | tuple[float, float]],
    config: PointConfig | None = None,
    record_every: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool = False,
    chunk: int = 250,
    threads: int | None = 1,
    **options,
) -> SweepResult:
    """Train every (seed, learning-rate pair) run at once; see :func:`sweep`.

    ``record_every=k`` keeps (w, b) every k steps in ``history``. A run whose
    parameters become non-finite is frozen (its non-finite values set to 0),
    reported with ``diverged_step`` and counted as a failure; the other runs
    go on. ``chunk`` steps of random numbers are drawn at a time.
    ``threads`` CPU threads are used while the sweep runs (then torch's
    setting is restored): these tensors are so small that one thread is
    fastest (a 150-run sweep with noise: 5.7 s on one thread, 6.0 s on two,
    14.5 s on two with ``OMP_WAIT_POLICY=PASSIVE``, on a 2-core CPU).
    ``None`` leaves torch's setting alone.
    """
    if threads is None:
        return _simulate(seeds, lrs, config, record_every, device, progress, chunk, **options)
    before = torch.get_num_threads()
    torch.set_num_threads(check_int("threads", threads, minimum=1))
    try:
        return _simulate(seeds, lrs, config, record_every, device, progress, chunk, **options)
    finally:
        torch.set_num_threads(before)


@torch.no_grad()
def _simulate(seeds, lrs, config, record_every, device, progress, chunk, **options) -> SweepResult:
    if config is not None and options:
        raise ValueError(f"give options either as config or as keywords, not both: {sorted(options)}")
    cfg = PointConfig.from_options(**options) if config is None else config
    seed_list, pairs = _seeds(seeds), _lr_pairs(lrs)
    if record_every is not None:
        record_every = check_int("record_every", record_every, minimum=1)
    chunk = check_int("chunk", chunk, minimum=1)
    device = torch.device(device)

    runs = [(s, lg, ld) for s in seed_list for (lg, ld) in pairs]
    R, B, K, T = len(runs), cfg.batch_size, cfg.noise_draws, float(cfg.target)
    unique_seeds = sorted(set(seed_list))
    seed_index = torch.tensor([unique_seeds.index(s) for s, _, _ in runs])
    gens = [torch.Generator().manual_seed(s) for s in unique_seeds]
    inits = [_initial_values(g, cfg.init_scale) for g in gens]
    theta_g = torch.stack([torch.cat([inits[i]["w"], inits[i]["b"]]) for i in seed_index.tolist()]).to(device)
    theta_d = torch.stack([torch.cat([inits[i][k] for k in _D_COLS]) for i in seed_index.tolist()]).to(device)
    lr_g = torch.tensor([[r[1]] for r in runs], device=device)  # (R, 1)
    lr_d = torch.tensor([[r[2]] for r in runs], device=device)
    opt_g = _BatchedOptimizer(theta_g, lr_g, cfg)
    opt_d = _BatchedOptimizer(theta_d, lr_d, cfg, weight_decay=cfg.d_weight_decay)

    # D sees B real values, then K * B fakes; labels and loss weights per column
    n_fake = K * B
    real = torch.full((R, B), T, device=device)
    y = torch.tensor([cfg.real_label] * B + [cfg.fake_label] * n_fake, device=device)
    weight = torch.tensor([1.0 / B] * B + [cfg.fake_weight / n_fake] * n_fake, device=device)
    active = torch.ones(R, dtype=torch.bool, device=device)
    last_d, last_g = torch.zeros(R, device=device), torch.zeros(R, device=device)  # last finite losses
    diverged = np.zeros(R, dtype=np.int64)  # 0: never
    hist, hist_steps = [], []
    n_u = cfg.uniforms_per_step

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.num_steps, desc=f"{R} runs", leave=False, mininterval=1.0)
    for start in range(0, cfg.num_steps, chunk):
        n = min(chunk, cfg.num_steps - start)
        block = torch.stack([torch.rand(n * n_u, generator=g).view(n, n_u) for g in gens])  # (S, n, n_u)
        block = block[seed_index].to(device)  # (R, n, n_u)
        for i in range(n):
            step = start + i + 1
            u = block[:, i]  # (R, n_u)
            # --- D's step: real values, then G's outputs (with noise on w, b if asked)
            x = u[:, :B] * 2 - 1  # (R, B)
            w, b = theta_g[:, :1], theta_g[:, 1:]  # (R, 1)
            if cfg.noise_scale > 0:
                eps = _box_muller(u[:, B : B + 2 * K]) * cfg.noise_scale  # (R, K, 2)
                fake = (w.unsqueeze(1) + eps[..., :1]) * x.unsqueeze(1) + (b.unsqueeze(1) + eps[..., 1:])  # (R, K, B)
                fake = fake.reshape(R, n_fake)
            else:
                fake = w * x + b  # (R, B)
            v = torch.cat([real, fake], 1)  # (R, B + K*B)
            loss_d, grad = _d_grad(theta_d, v, y, weight, B, cfg.fake_weight, cfg.r1_gamma, T)
            opt_d.step(grad, active)
            # --- G's step
            x = u[:, n_u - B :] * 2 - 1
            loss_g, grad = _g_grad(theta_g, theta_d, x)
            opt_g.step(grad, active)
            # --- guard: freeze runs that went non-finite; the others go on
            finite = torch.isfinite(loss_d + loss_g) & torch.isfinite(theta_d).all(1) & torch.isfinite(theta_g).all(1)
            newly = active & ~finite
            if newly.any():
                diverged[newly.cpu().numpy()] = step
                active &= finite
                for t in (theta_g, theta_d, opt_g.m, opt_g.v, opt_d.m, opt_d.v):
                    t.nan_to_num_(nan=0.0, posinf=0.0, neginf=0.0)
            last_d = torch.where(active, loss_d, last_d)
            last_g = torch.where(active, loss_g, last_g)
            if record_every is not None and step % record_every == 0:
                hist.append(theta_g.cpu().clone())
                hist_steps.append(step)
        if bar is not None:
            bar.update(n)
    if bar is not None:
        bar.close()

    final = {"w": theta_g[:, 0].cpu().numpy(), "b": theta_g[:, 1].cpu().numpy()}
    final.update({k: theta_d[:, sl].cpu().numpy() for k, sl in _D_COLS.items()})
    final["d_b2"] = final["d_b2"][:, 0]
    ok = diverged == 0
    frame = pd.DataFrame(
        {
            "seed": [r[0] for r in runs],
            "lr_g": [r[1] for r in runs],
            "lr_d": [r[2] for r in runs],
            "w": final["w"],
            "b": final["b"],
            "success": ok & is_success(final["w"], final["b"], cfg.target),
            "diverged_step": diverged,
            "loss_d": last_d.cpu().numpy(),
            "loss_g": last_g.cpu().numpy(),
            "d_real": discriminator_prob(final, [cfg.target])[:, 0],
        }
    )
    history = torch.stack(hist, 1).numpy() if hist else np.zeros((R, 0, 2), dtype=np.float32)
    return SweepResult(frame, final, np.asarray(hist_steps, dtype=np.int64), history, cfg)


def sweep(
    seeds: int | Iterable[int],
    lrs: float | Iterable[float | tuple[float, float]],
    **options,
) -> pd.DataFrame:
    """Train seeds x learning-rate pairs as one batch of runs; one row per run.

    ``lrs`` holds floats (the same rate for G and D) or ``(lr_g, lr_d)`` pairs.
    ``options`` are the fields of :class:`PointConfig` plus ``device``,
    ``progress`` and ``threads`` of :func:`simulate`.

    Columns: ``seed, lr_g, lr_d, w, b, success`` (``|w| < 0.1`` and
    ``|b - target| < 0.1`` at the end, and never diverged), then
    ``diverged_step`` (0 if never), the last finite ``loss_d`` and ``loss_g``
    (of the last step, before its update) and ``d_real`` (D's P(real) at the
    target, at the end).
    """
    return simulate(seeds, lrs, **options).frame


def is_success(w, b, target: float = 1.0, tol: float = SUCCESS_TOL):
    """True where the generator is within ``tol`` of the solution ``w = 0, b = target``."""
    w, b = np.asarray(w), np.asarray(b)
    return (np.abs(w) < tol) & (np.abs(b - target) < tol)


# ----------------------------------------------------------------------------
# Presets: the settings lesson 2 compares
# ----------------------------------------------------------------------------


class _Presets(dict):
    """A dict of named option sets; an unknown name raises ``KeyError`` listing the names."""

    def __missing__(self, key):
        raise KeyError(f"unknown preset {key!r}; presets: {sorted(self)}")


#: Keyword options of :func:`sweep` for each setting of lesson 2. ``"fixed"`` is
#: the fix that lesson's search selects (noise on G's parameters during D's
#: step, 8 draws, scale 1.0, with a small weight decay on D);
#: ``"seed_recipe"`` is the noise-plus-weight-decay setting as first proposed
#: (scale 1.5, weight decay 0.1), which fails here (see lesson 2).
PRESETS: dict[str, dict] = _Presets(
    baseline={},
    label_easing={"real_label": 0.9, "fake_label": 0.1},
    fake_weight={"fake_weight": 0.5},
    weight_decay={"d_weight_decay": 0.1},
    noise_0_5={"noise_scale": 0.5, "noise_draws": 8},
    noise_1_5={"noise_scale": 1.5, "noise_draws": 8},
    seed_recipe={"noise_scale": 1.5, "noise_draws": 8, "d_weight_decay": 0.1},
    r1={"r1_gamma": 10.0},
    fixed={"noise_scale": 1.0, "noise_draws": 8, "d_weight_decay": 3e-3},
)


def preset(name: str, **overrides) -> dict:
    """The options of preset ``name`` with ``overrides`` on top, checked.

    Unknown names raise ``ValueError`` listing the presets; contradicting or
    invalid options raise ``ValueError`` from :class:`PointConfig`.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; presets: {sorted(PRESETS)}")
    options = {**PRESETS[name], **overrides}
    PointConfig.from_options(**options)  # validate now, not in the middle of a sweep
    return options


# ----------------------------------------------------------------------------
# Reading runs: failure types, D's gradient signal
# ----------------------------------------------------------------------------

FAILURE_TYPES = {
    "success": "w near 0 and b near 1 at the end",
    "oscillating": "G keeps circling the real value: it moves a lot in the last quarter of training, around b = 1",
    "wandering": "G keeps moving in the last quarter of training, but not around the real value",
    "stuck (flat D)": "G has stopped away from the real value because D is flat where G's outputs are: no gradient",
    "stopped elsewhere": "G has stopped away from the real value although D still has a slope there",
    "diverged": "a loss or parameter became infinite or NaN",
}


def d_slope(params: dict[str, np.ndarray], values) -> np.ndarray:
    """dD/dv (of the probability) for every run at ``values`` (N,) or (R, N)."""
    theta_d = _theta_d(params)
    v = _per_run_values(values, theta_d.shape[0]).clone().requires_grad_(True)
    prob = torch.sigmoid(_d_forward(theta_d, v)[1])
    (grad,) = torch.autograd.grad(prob.sum(), v)
    return grad.numpy()


def failure_modes(
    result: SweepResult, tail: float = 0.25, move_tol: float = 0.05, near: float = 0.25, flat_tol: float = 1e-2
) -> pd.Series:
    """Name what happened to every run of ``result`` (see ``FAILURE_TYPES``).

    Needs ``result.history`` (``simulate(..., record_every=k)``). A run that
    did not succeed is *moving* if w or b spans more than ``move_tol`` over
    the last ``tail`` of its history: *oscillating* if its mean b there is
    within ``near`` of the target, else *wandering*. A run that stopped is
    *stuck (flat D)* if D's mean |slope| over G's outputs is below
    ``flat_tol``, else *stopped elsewhere*.
    """
    if result.history.shape[1] < 4:
        raise ValueError("failure_modes needs a history: run simulate(..., record_every=k) with >= 4 records")
    if not 0 < tail <= 1:
        raise ValueError(f"tail must be in (0, 1], got {tail!r}")
    frame, target = result.frame, result.config.target
    last = result.history[:, -max(2, int(round(tail * result.history.shape[1]))) :]  # (R, T', 2)
    span = np.ptp(last, axis=1).max(axis=1)
    b_mean = last[:, :, 1].mean(axis=1)
    x = np.linspace(-1, 1, 21, dtype=np.float32)
    outputs = frame.w.to_numpy()[:, None] * x + frame.b.to_numpy()[:, None]  # (R, 21)
    slope = np.abs(d_slope(result.params, outputs)).mean(axis=1)
    labels = np.where(
        span > move_tol,
        np.where(np.abs(b_mean - target) < near, "oscillating", "wandering"),
        np.where(slope < flat_tol, "stuck (flat D)", "stopped elsewhere"),
    )
    labels = np.where(frame.success, "success", labels)
    labels = np.where(frame.diverged_step > 0, "diverged", labels)
    return pd.Series(labels, index=frame.index, name="outcome")


def bell_params(center, half_width, steepness, height, bias) -> dict[str, np.ndarray]:
    r"""Bell- or box-shaped D's as a batched parameter dict (arguments broadcast to R runs).

    :math:`l(v) = h\,\sigma(k(v - c + \delta)) - h\,\sigma(k(v - c - \delta)) + c_0`:
    two hidden units, one rising at :math:`c - \delta`, one falling at
    :math:`c + \delta`. Large ``steepness`` k makes a box, small a soft bell.
    """
    c, d, k, h, c0 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in
                                           (center, half_width, steepness, height, bias)))
    for name, value in (("half_width", d), ("steepness", k)):
        if not (np.isfinite(value).all() and (value > 0).all()):
            raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    if not all(np.isfinite(a).all() for a in (c, h, c0)):
        raise ValueError("center, height and bias must be finite")
    return {
        "w": np.zeros(len(c)), "b": np.zeros(len(c)),
        "d_w1": np.stack([k, k], 1), "d_b1": np.stack([k * (d - c), -k * (c + d)], 1),
        "d_w2": np.stack([h, -h], 1), "d_b2": c0,
    }


def judge(params: dict[str, np.ndarray], w: float, b: float, batch_size: int = 4096, seed: int = 0) -> pd.DataFrame:
    """D's loss on real values against G(x) = w x + b, and the gradient G gets, for every run's D.

    Returns one row per D: ``loss_d`` (BCE, as in training), ``loss_g``, and
    ``grad_w``, ``grad_b``: the gradient of G's loss, the only signal G learns from.
    """
    theta_d = _theta_d(params)
    R = theta_d.shape[0]
    gen = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    x = sample_inputs(check_int("batch_size", batch_size, minimum=1), gen).expand(R, -1)  # (R, B)
    theta_g = torch.tensor([[float(w), float(b)]]).expand(R, -1)
    fake = theta_g[:, :1] * x + theta_g[:, 1:]
    B = x.shape[1]
    v = torch.cat([torch.ones(R, B), fake], 1)
    y = torch.cat([torch.ones(B), torch.zeros(B)])
    weight = torch.full((2 * B,), 1.0 / B)
    with torch.no_grad():
        loss_d, _ = _d_grad(theta_d, v, y, weight, B, 1.0, 0.0, 1.0)
        loss_g, grad_g = _g_grad(theta_g, theta_d, x)
    return pd.DataFrame(
        {"loss_d": loss_d.numpy(), "loss_g": loss_g.numpy(), "grad_w": grad_g[:, 0].numpy(), "grad_b": grad_g[:, 1].numpy()}
    )


# ----------------------------------------------------------------------------
# The Dirac-GAN (Mescheder, Geiger and Nowozin 2018)
# ----------------------------------------------------------------------------


def dirac_field(
    theta,
    psi,
    r1_gamma: float = 0.0,
    noise_scale: float = 0.0,
    noise_on: str = "fake",
    g_loss: str = "non_saturating",
    nodes: int = 40,
):
    r"""The training vector field of the Dirac-GAN, in this course's losses.

    G puts all its mass on :math:`\theta`; the real data sits at 0; D's logit
    is linear, :math:`l(x) = \psi x`. D lowers
    :math:`L_D = \mathrm{softplus}(-\psi x_r) + \mathrm{softplus}(\psi x_f)`
    and G lowers the non-saturating :math:`L_G = \mathrm{softplus}(-\psi\theta)`,
    (or the minimax :math:`L_G = -\mathrm{softplus}(\psi\theta)` with
    ``g_loss="minimax"``, which gives :math:`\dot\theta = \psi\,\sigma(\psi\theta)`),
    so gradient descent follows

    .. math::
        \dot\theta = \psi\,\sigma(-\psi\theta), \qquad
        \dot\psi = \mathbb{E}\big[x_r\sigma(-\psi x_r)\big] - \mathbb{E}\big[x_f\sigma(\psi x_f)\big] - \gamma\psi.

    Without regularisation :math:`x_r = 0`, :math:`x_f = \theta`, and near the
    equilibrium (0, 0) the field is a rotation. With the minimax loss it
    keeps :math:`\theta^2 + \psi^2` constant exactly (circles, as in
    Mescheder et al.); the non-saturating loss shrinks it only at fourth order
    in the distance, so runs circle for a long time. The R1
    penalty :math:`\frac\gamma2 l'(x_r)^2 = \frac\gamma2\psi^2` adds the
    damping :math:`-\gamma\psi`. Gaussian noise of scale s on the fakes (as
    noise on G's bias does; ``noise_on="fake"``) or on both
    (``"both"``: instance noise) damps too: to first order it adds
    :math:`-\psi s^2/4` per noisy side. Expectations use Gauss-Hermite
    quadrature with ``nodes`` points. Returns ``(d_theta, d_psi)``.
    """
    check_choice("noise_on", noise_on, ("fake", "both"))
    check_choice("g_loss", g_loss, ("non_saturating", "minimax"))
    gamma, s = check_nonnegative("r1_gamma", r1_gamma), check_nonnegative("noise_scale", noise_scale)
    theta, psi = np.asarray(theta, dtype=float), np.asarray(psi, dtype=float)
    sig = lambda t: 0.5 * (1 + np.tanh(t / 2))  # noqa: E731  (stable sigmoid)
    if s > 0:
        eps, weights = np.polynomial.hermite_e.hermegauss(nodes)
        weights = weights / weights.sum()
        e = s * eps.reshape((-1,) + (1,) * theta.ndim)
        w = weights.reshape(e.shape)
        fake = ((theta + e) * sig(psi * (theta + e)) * w).sum(0)
        real = (e * sig(-psi * e) * w).sum(0) if noise_on == "both" else 0.0
    else:
        fake, real = theta * sig(psi * theta), 0.0
    d_theta = psi * sig(psi * theta) if g_loss == "minimax" else psi * sig(-psi * theta)
    d_psi = real - fake - gamma * psi
    return d_theta, d_psi


def dirac_trajectory(theta0: float, psi0: float, lr: float = 0.1, num_steps: int = 500, **field_options) -> np.ndarray:
    """Alternating gradient steps on the Dirac-GAN (D first, then G, as in the lessons).

    Returns the (num_steps + 1, 2) path of (theta, psi). ``field_options``
    go to :func:`dirac_field`.
    """
    lr = check_positive("lr", lr)
    num_steps = check_int("num_steps", num_steps, minimum=1)
    path = np.empty((num_steps + 1, 2))
    theta, psi = float(theta0), float(psi0)
    path[0] = theta, psi
    for i in range(1, num_steps + 1):
        psi = psi + lr * dirac_field(theta, psi, **field_options)[1]
        theta = theta + lr * dirac_field(theta, psi, **field_options)[0]
        path[i] = theta, psi
    return path
