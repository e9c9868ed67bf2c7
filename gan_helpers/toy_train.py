r"""Toy GANs on the ring and the grid, many seeds trained as one computation (lessons 6 and 7).

:func:`train_toys` trains one small GAN (MLP G and D on 2-D points) per seed,
all seeds at once: the R copies of each network are stacked and run with
batched matrix products (the stacked layers of :mod:`gan_helpers.ensemble`).
Each run draws its real batches, its z and its penalty's :math:`\epsilon`
from its own ``torch.Generator``, in the order
:func:`~gan_helpers.train.train` draws them, so a run does not depend on the
runs beside it and, for every method but ``"unrolled"``, matches the
ordinary loop step by step (both tested). The methods:

* ``"gan"``: the non-saturating GAN :cite:p:`goodfellow2014generative`
  (``loss="minimax"`` for the saturating one);
* ``"r1"``: plus :math:`\tfrac{\gamma}{2}\,\mathrm{mean}\|\nabla_x D(x)\|^2`
  on the reals :cite:p:`mescheder2018training`;
* ``"unrolled"`` :cite:p:`metz2017unrolled`: G's loss is taken on D after
  ``unroll`` more Adam steps on the current batch,
  :math:`\theta_D^{k+1} = \theta_D^k - \mathrm{Adam}(\nabla L_D(\theta_D^k))`,
  computed functionally (the unrolled weights are new tensors in the graph;
  no module is copied) and differentiated through, as in the authors' released demonstration;
* ``"pacgan"`` :cite:p:`lin2018pacgan`: D judges packs of ``packing``
  samples (:class:`gan_helpers.pacgan.Packed`);
* ``"wgan"`` :cite:p:`arjovsky2017wasserstein`: a critic, weights clipped to
  :math:`[-c, c]` after each of its ``d_steps`` updates, RMSprop;
* ``"wgan-gp"`` :cite:p:`gulrajani2017improved`: a critic with the gradient
  penalty, Adam with betas (0.5, 0.9).

A run whose losses stop being finite is marked with the first step they
were not (``ToyRuns.diverged``); the others go on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from . import toy_metrics
from .ensemble import _Stacked
from .toy_settings import DATASETS, METHODS, ToySettings, draw_real, make_networks, make_optimizer, settings
from .utils import check_choice

__all__ = ["ToyRuns", "train_toys", "DATASETS", "METHODS", "ToySettings", "settings", "make_networks"]


def _bce_d_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """Per run (R,): mean BCE of the reals against 1 plus that of the fakes against 0, from logits (R, B)."""
    return F.softplus(-real_out).mean(1) + F.softplus(fake_out).mean(1)


def _input_gradient(D: _Stacked, x: torch.Tensor, s: ToySettings, weights=None) -> torch.Tensor:
    """:math:`\\nabla_x D(x)` per point, (R, B, 2), kept in the graph (each point's own gradient: no weight is shared)."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(_judge(D, x, s, weights).sum(), x, create_graph=True)
    return grad


def _judge(D: _Stacked, x: torch.Tensor, s: ToySettings, weights=None) -> torch.Tensor:
    """D's outputs on points x (R, B, 2): one per pack of ``s.packing`` consecutive points, (R, B / packing)."""
    R, B = x.shape[:2]
    return D(x.reshape(R, B // s.packing, 2 * s.packing), weights)


def _d_loss(D, x_real, x_fake, s: ToySettings, eps=None, weights=None, log=True):
    """D's loss per run (R,), and what it logs (a dict of (R,) tensors)."""
    real_out, fake_out = _judge(D, x_real, s, weights), _judge(D, x_fake, s, weights)  # (R, B/m) each
    if s.critic:
        loss = fake_out.mean(1) - real_out.mean(1)
        logs = {"wasserstein": -loss.detach()}
    else:
        loss, logs = _bce_d_loss(real_out, fake_out), {}
        if log:  # D's mean probabilities, at the steps the history keeps
            logs["d_real"], logs["d_fake"] = (
                torch.sigmoid(real_out).mean(1).detach(),
                torch.sigmoid(fake_out).mean(1).detach(),
            )
    if s.gamma:
        r1 = s.gamma / 2 * _input_gradient(D, x_real, s, weights).pow(2).sum(-1).mean(1)
        loss, logs["r1"] = loss + r1, r1.detach()
    if eps is not None:
        x_hat = eps * x_real + (1 - eps) * x_fake.detach()  # (R, B, 2): points between real and fake
        gp = s.gp_weight * (_input_gradient(D, x_hat, s, weights).norm(dim=-1) - 1).pow(2).mean(1)
        loss, logs["gp"] = loss + gp, gp.detach()
    return loss, logs


def _g_loss(fake_out: torch.Tensor, s: ToySettings) -> torch.Tensor:
    if s.critic:
        return -fake_out.mean(1)
    if s.loss == "minimax":
        return -F.softplus(fake_out).mean(1)  # mean log(1 - D(G(z)))
    return F.softplus(-fake_out).mean(1)  # -mean log D(G(z))


def _unrolled_weights(D: _Stacked, opt_d: torch.optim.Adam, x_real, x_fake, s: ToySettings):
    """D's weights after ``s.unroll`` Adam steps on (x_real, x_fake), from its current weights and Adam state,
    as tensors that stay in the graph of ``x_fake`` (so G's gradient flows through the unrolled steps)."""
    beta1, beta2 = s.betas
    group = opt_d.param_groups[0]
    lr, eps = group["lr"], group["eps"]
    weights = D.weights
    state = opt_d.state.get(D.flat, {})
    m = D.split(state["exp_avg"]) if state else [torch.zeros_like(w) for w in weights]
    v = D.split(state["exp_avg_sq"]) if state else [torch.zeros_like(w) for w in weights]
    t = int(state["step"]) if state else 0
    for _ in range(s.unroll):
        loss, _ = _d_loss(D, x_real, x_fake, s, weights=weights, log=False)
        grads = torch.autograd.grad(loss.sum(), weights, create_graph=True)
        t += 1
        m = [beta1 * a + (1 - beta1) * g for a, g in zip(m, grads)]
        v = [beta2 * b + (1 - beta2) * g * g for b, g in zip(v, grads)]
        c1, c2 = 1 - beta1**t, math.sqrt(1 - beta2**t)
        # clamp: sqrt has an infinite slope at 0, where a weight's gradient has always been 0
        weights = [w - lr / c1 * a / (b.clamp_min(1e-30).sqrt() / c2 + eps) for w, a, b in zip(weights, m, v)]
    return weights


@dataclass
class ToyRuns:
    """What :func:`train_toys` returns: R trained runs of one method on one benchmark.

    * ``history``: one row per run and logged step: ``run``, ``seed``,
      ``step``, ``loss_d``, ``loss_g`` and the method's columns (``d_real``,
      ``d_fake`` for the GANs; ``wasserstein``, the critic's estimate, for the
      WGANs; ``r1``, ``gp``: the penalty terms as added to D's loss);
    * ``snapshots``: (S, R, snapshot_n, 2), each run's G on its own fixed
      noise at ``snapshot_steps`` (step 0 is the untrained G);
    * ``diverged``: per run, the first step whose losses were not finite, or None;
    * ``cpu_seconds``: the process CPU time of the whole batch (divide by R for a run);
    * ``G``, ``D``: the stacked networks; with ``ema`` > 0, ``G`` holds the
      moving average of G's weights, which :meth:`generator`, :meth:`samples`
      and the snapshots use.
    """

    dataset: str
    settings: ToySettings
    seeds: tuple[int, ...]
    history: pd.DataFrame
    snapshots: torch.Tensor
    snapshot_steps: tuple[int, ...]
    diverged: tuple[int | None, ...]
    cpu_seconds: float
    wall_seconds: float
    G: nn.Module = field(repr=False)
    D: nn.Module = field(repr=False)

    def generator(self, run: int) -> nn.Module:
        """Run ``run``'s trained G as an ordinary ``MLPGenerator``, in eval mode."""
        G, _ = make_networks(self.settings, self.seeds[run])
        return self.G.unstack(G, run).eval()

    def discriminator(self, run: int) -> nn.Module:
        """Run ``run``'s trained D (for PacGAN: the D that takes a pack, 2 * packing features), in eval mode."""
        _, D = make_networks(self.settings, self.seeds[run])
        return self.D.unstack(D, run).eval()

    @torch.no_grad()
    def samples(self, n: int = 2500, seed: int = 0) -> torch.Tensor:
        """(R, n, 2): each run's G on the same ``n`` latent vectors, drawn from ``Generator(seed)``."""
        z = torch.randn(n, self.settings.latent_dim, generator=torch.Generator().manual_seed(seed))
        return self.G(z.expand(len(self.seeds), n, -1))

    def metrics(self, n: int = 2500, seed: int = 0) -> pd.DataFrame:
        """Per run: :func:`~gan_helpers.toy_metrics.mode_metrics` of ``n`` samples (VEEGAN's definitions).

        Columns ``run``, ``seed``, ``modes_covered``, ``high_quality``,
        ``diverged`` (the step, or -1); a diverged run's numbers are NaN.
        """
        x, rows = self.samples(n, seed), []
        for r, s in enumerate(self.seeds):
            bad = self.diverged[r] is not None or not torch.isfinite(x[r]).all()
            m = None if bad else toy_metrics.mode_metrics(x[r], self.dataset)
            rows.append(
                {
                    "run": r,
                    "seed": s,
                    "modes_covered": math.nan if bad else m.modes_covered,
                    "high_quality": math.nan if bad else m.high_quality,
                    "diverged": -1 if self.diverged[r] is None else self.diverged[r],
                }
            )
        return pd.DataFrame(rows)


def train_toys(dataset: str, method: str, seeds: Sequence[int], *, progress: bool = True, **options) -> ToyRuns:
    """Train one toy GAN per seed of ``seeds`` on ``dataset`` (``"ring"`` or ``"grid"``) with ``method``, all at once.

    ``options`` override the settings (:func:`settings`; e.g. ``steps=3000``,
    ``packing=4``, ``unroll=10``). Returns a :class:`ToyRuns`. Training runs
    on the CPU.
    """
    dataset = check_choice("dataset", dataset, tuple(DATASETS))
    s = settings(method, **options)
    seeds = tuple(int(x) for x in seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty sequence of distinct ints, got {seeds!r}")
    nets = [make_networks(s, seed) for seed in seeds]
    G, D = _Stacked("G", [g for g, _ in nets]), _Stacked("D", [d for _, d in nets])
    opt_g, opt_d = make_optimizer(G.parameters(), s.lr_g, s), make_optimizer(D.parameters(), s.lr_d, s)
    gens = [torch.Generator().manual_seed(seed) for seed in seeds]  # each run's real batches, z and epsilon
    R, B, L = len(seeds), s.batch_size, s.latent_dim
    snap_z = torch.stack(
        [torch.randn(s.snapshot_n, L, generator=torch.Generator().manual_seed(seed + 1_000_003)) for seed in seeds]
    )  # (R, n, L): apart from the training draws
    snapshots, snapshot_steps, logged, steps = [], [], [], []
    diverged = torch.zeros(R, dtype=torch.long)
    cpu0, t0 = time.process_time(), time.perf_counter()

    ema = [p.detach().clone() for p in G.parameters()] if s.ema else None  # G's moving average

    def snapshot(step):
        with torch.no_grad():
            snapshots.append(G(snap_z, G.split(ema[0]) if ema else None))
        snapshot_steps.append(step)

    if s.snapshot_every:
        snapshot(0)
    for step in tqdm(range(1, s.steps + 1), disable=not progress, desc=f"{method}, {R} runs", mininterval=1.0):
        if s.lr_final != 1:
            share = 1 - (1 - s.lr_final) * (step - 1) / max(1, s.steps - 1)
            for opt, lr in ((opt_g, s.lr_g), (opt_d, s.lr_d)):
                opt.param_groups[0]["lr"] = share * lr
        d_logs = []
        for _ in range(s.d_steps):
            x_real = draw_real(dataset, B, gens)
            z = torch.stack([torch.randn(B, L, generator=g) for g in gens])  # (R, B, L)
            with torch.no_grad():
                x_fake = G(z)
            eps = torch.stack([torch.rand(B, generator=g) for g in gens])[..., None] if s.gp_weight else None
            loss_d, logs = _d_loss(D, x_real, x_fake, s, eps, log=step % s.log_every == 0)
            opt_d.zero_grad()
            loss_d.sum().backward()
            opt_d.step()
            if s.clip:
                with torch.no_grad():
                    for p in D.parameters():
                        p.clamp_(-s.clip, s.clip)
            d_logs.append({"loss_d": loss_d.detach(), **logs})
        z = torch.stack([torch.randn(B, L, generator=g) for g in gens])
        x_fake = G(z)
        weights = _unrolled_weights(D, opt_d, x_real, x_fake, s) if s.unroll else None
        loss_g = _g_loss(_judge(D, x_fake, s, weights), s)  # (R,)
        opt_g.zero_grad()
        loss_g.sum().backward(inputs=list(G.parameters()))
        opt_g.step()
        if s.ema:
            with torch.no_grad():
                torch._foreach_lerp_(ema, list(G.parameters()), 1 - s.ema)
        bad = ~(torch.isfinite(loss_g) & torch.isfinite(d_logs[-1]["loss_d"]))
        diverged = torch.where((diverged == 0) & bad, step, diverged)
        if step % s.log_every == 0:
            row = {k: torch.stack([d[k] for d in d_logs]).mean(0) for k in d_logs[0]}
            logged.append({**row, "loss_g": loss_g.detach()})
            steps.append(step)
        if s.snapshot_every and step % s.snapshot_every == 0:
            snapshot(step)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    if s.ema:
        with torch.no_grad():
            for p, a in zip(G.parameters(), ema):
                p.copy_(a)
    history = _history(logged, steps, seeds)
    return ToyRuns(
        dataset=dataset,
        settings=s,
        seeds=seeds,
        history=history,
        snapshots=torch.stack(snapshots) if snapshots else torch.empty(0, R, s.snapshot_n, 2),
        snapshot_steps=tuple(snapshot_steps),
        diverged=tuple(int(d) or None for d in diverged),
        cpu_seconds=cpu,
        wall_seconds=wall,
        G=G,
        D=D,
    )


def _history(logged: list[dict], steps: list[int], seeds: tuple[int, ...]) -> pd.DataFrame:
    names = ["loss_d", "loss_g"] + [k for k in (logged[0] if logged else {}) if k not in ("loss_d", "loss_g")]
    frame = {"run": [], "seed": [], "step": [], **{k: [] for k in names}}
    for r, seed in enumerate(seeds):
        for row, step in zip(logged, steps):
            frame["run"].append(r)
            frame["seed"].append(seed)
            frame["step"].append(step)
            for k in names:
                frame[k].append(row[k][r].item())
    return pd.DataFrame(frame)
