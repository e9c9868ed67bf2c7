r"""Many small GANs trained as one computation: the training loop batched over seeds.

A step of :func:`gan_helpers.train.train` on a toy GAN costs about a
millisecond and a half, almost all of it per-step overhead (Python,
autograd, the optimiser), not arithmetic. Comparing methods over many seeds
one run at a time pays that overhead once per run. :func:`train_runs` pays
it once for all runs: the weights of R copies of G (and of D) are stacked
along a new first dimension, and every forward pass runs the R networks at
once with :func:`torch.func.vmap` over :func:`torch.func.functional_call`.

Each run stays a run of its own:

* its initial weights come from ``make_models(seed)``;
* it draws its real batches and z from its own ``torch.Generator``, seeded
  with its seed, in the order :func:`~gan_helpers.train.train` draws them,
  so a run gives the same result whichever runs share the batch, and
  matches :func:`~gan_helpers.train.train` with ``config.seed = seed``
  step by step (both tested, up to float rounding);
* its loss is its own mean over its own batch; the losses of the runs are
  summed before the backward pass, which gives each run exactly its own
  gradient, since no weight is shared;
* Adam, SGD and RMSprop update every element on its own, so one optimiser
  over the stacked weights is R independent optimisers.

Only the course's MLPs with Linear and elementwise layers are batched:
batch normalisation and dropout would share statistics or random masks
across runs, against the rules above. Objectives with penalties on D's gradient (WGAN-GP, R1) are
not batched yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import pandas as pd
import torch
from torch import nn
from torch.func import vmap
from tqdm.auto import tqdm

from .steps import sample_batch
from .train_config import TrainConfig, make_optimizer

__all__ = ["Ensemble", "FlatAdam", "train_runs"]


#: Layers applied elementwise: the same module serves every run.
_ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.Dropout)


class _Stacked(nn.Module):
    """R copies of one course MLP (G or D), weights stacked: x (R, B, ...) -> (R, B, ...).

    Each ``nn.Linear`` of the copies becomes one batched matrix product
    (``torch.baddbmm``) over stacked weights (R, in, out); elementwise layers
    are shared. Only the course's MLPs (a ``.net`` of Linear and elementwise
    layers) are accepted: batch normalisation, active dropout and maxout
    would not stay per run.
    """

    def __init__(self, role: str, nets: Sequence[nn.Module]):
        super().__init__()
        self.role, first = role, nets[0]
        layers = list(getattr(first, "net", ()))
        for i, layer in enumerate(layers):
            if isinstance(layer, nn.Dropout) and layer.p > 0:
                raise ValueError(f"{role} has dropout p={layer.p} (layer {i}): use dropout=0 for train_runs")
            if not isinstance(layer, (nn.Linear, *_ELEMENTWISE)):
                raise ValueError(
                    f"{role} layer {i} is a {type(layer).__name__}: train_runs batches only Linear and elementwise layers"
                )
        if not layers or any(len(list(getattr(n, "net", ()))) != len(layers) for n in nets):
            raise ValueError(
                f"every {role} must be a course MLP (a .net of Linear and elementwise layers) of the same shape"
            )
        self.layers = layers
        self.linear = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear)]
        stacked = []
        for i in self.linear:
            stacked.append(torch.stack([n.net[i].weight.detach().T for n in nets]))  # (R, in, out)
            stacked.append(torch.stack([n.net[i].bias.detach()[None] for n in nets]))  # (R, 1, out)
        # one flat parameter holds every stacked weight, one after the other: the optimiser then
        # steps one tensor, not two per layer (the same arithmetic on every element, fewer calls)
        self.shapes = [t.shape for t in stacked]
        self.sizes = [t.numel() for t in stacked]
        self.flat = nn.Parameter(torch.cat([t.reshape(-1) for t in stacked]))
        for attr in ("latent_dim", "out_shape"):
            if hasattr(first, attr):
                setattr(self, attr, getattr(first, attr))

    def split(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """A flat tensor laid out as :attr:`flat` (its Adam state, a moving average) as views of the stacked
        weights: per Linear layer, its weight (R, in, out) and its bias (R, 1, out)."""
        return [part.view(shape) for part, shape in zip(flat.split(self.sizes), self.shapes)]

    @property
    def weights(self) -> list[torch.Tensor]:
        """The module's own stacked weights, views of :attr:`flat` (in the graph: gradients reach ``flat``)."""
        return self.split(self.flat)

    def forward(self, x: torch.Tensor, weights: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """``weights``: other stacked weights of the same shapes (an unrolled D), or None for the module's own."""
        w = self.weights if weights is None else weights
        R, B = x.shape[:2]
        h = x.reshape(R, B, -1)  # (R, B, features)
        k = 0
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                h = torch.baddbmm(w[k + 1], h, w[k])  # (R, B, out)
                k += 2
            else:
                h = layer.forward(h)  # elementwise, no hooks: forward alone skips nn.Module's call overhead
        if self.role == "G":
            return h.reshape(R, B, *self.out_shape)  # (R, B, *out_shape)
        return h.squeeze(-1)  # (R, B) logits

    def unstack(self, net: nn.Module, run: int) -> nn.Module:
        """Copy run ``run``'s weights into ``net`` (the same architecture); return it."""
        with torch.no_grad():
            w = self.weights
            for j, i in enumerate(self.linear):
                net.net[i].weight.copy_(w[2 * j][run].T)
                net.net[i].bias.copy_(w[2 * j + 1][run, 0])
        return net


class FlatAdam(torch.optim.Adam):
    """``torch.optim.Adam(foreach=True)`` for one tensor (the ``flat`` weights of networks stacked over seeds): the same numbers.

    On a CPU, torch's foreach Adam applies these in-place operations to each
    tensor in turn; here they are written out once, without the grouping and
    bookkeeping around them, which cost more than the arithmetic for a toy
    GAN's few thousand weights. The state (``step``, ``exp_avg``,
    ``exp_avg_sq``) and ``param_groups`` are Adam's own: the lr can be changed
    and the state read as usual. Equal to torch's step, bit for bit (tested).
    """

    def __init__(self, param: torch.Tensor, lr: float, betas: tuple[float, float]):
        super().__init__([param], lr=lr, betas=betas, foreach=True)
        self._one = torch.tensor(1.0)
        # the instance's own step: torch wraps the class's step in hooks and a profiler record on each call
        self.step = self._step

    def zero_grad(self, set_to_none: bool = True) -> None:
        """The gradient set to None (torch's default), without the hooks around it."""
        if not set_to_none:
            raise ValueError("FlatAdam.zero_grad only sets the gradient to None")
        self.param_groups[0]["params"][0].grad = None

    @torch.no_grad()
    def _step(self, closure=None):
        if closure is not None:
            raise ValueError("FlatAdam.step takes no closure")
        group = self.param_groups[0]
        (p,) = group["params"]
        if p.grad is None:
            return None
        state, (beta1, beta2), grad = self.state[p], group["betas"], p.grad
        if not state:
            dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
            state.update(
                step=torch.tensor(0.0, dtype=dtype), exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p)
            )
        state["step"].add_(self._one)
        t = state["step"].item()
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = state["exp_avg_sq"].sqrt().div_((1 - beta2**t) ** 0.5).add_(group["eps"])
        p.addcdiv_(state["exp_avg"], denom, value=(group["lr"] / (1 - beta1**t)) * -1)
        return None


@dataclass(frozen=True)
class Ensemble:
    """What :func:`train_runs` returns: the trained runs and their history.

    ``history`` has one row per run and logged step (columns ``run``,
    ``seed``, then those of :func:`gan_helpers.train.history_columns`);
    :meth:`generator` gives run ``i``'s G as an ordinary module.
    """

    seeds: tuple[int, ...]
    history: pd.DataFrame
    G: nn.Module
    D: nn.Module
    make_models: Callable[[int], tuple[nn.Module, nn.Module]]

    def generator(self, run: int) -> nn.Module:
        """Run ``run``'s trained G, as an ordinary module in eval mode."""
        G, _ = self.make_models(self.seeds[run])
        return self.G.unstack(G, run).eval()

    def discriminator(self, run: int) -> nn.Module:
        """Run ``run``'s trained D, as an ordinary module in eval mode."""
        _, D = self.make_models(self.seeds[run])
        return self.D.unstack(D, run).eval()


def train_runs(
    make_models: Callable[[int], tuple[nn.Module, nn.Module]],
    seeds: Sequence[int],
    data,
    config: TrainConfig,
    progress: bool = True,
) -> Ensemble:
    """Train one GAN per seed, all at once; each as :func:`gan_helpers.train.train` would with ``config.seed = seed``.

    ``make_models(seed) -> (G, D)`` builds one run's networks (no batch
    normalisation, no active dropout). ``data``: a tensor (N, ...) or a
    sampler ``data(batch_size, generator)``, as for ``train``. Everything
    else (objective, ``d_steps``, optimiser, learning rates, ``log_every``)
    comes from ``config``; ``config.seed`` is replaced by each seed.
    Training runs on the CPU.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    seeds = tuple(int(s) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty sequence of distinct ints, got {seeds!r}")
    objective = config.objective
    if objective.r1_gamma > 0 or objective.name == "wgan-gp":
        raise ValueError(
            f"train_runs does not batch gradient penalties yet (objective {objective.name!r}, r1_gamma={objective.r1_gamma})"
        )
    if not config.detach:
        raise ValueError(
            "train_runs always detaches G's samples in D's step (detach=False is for lesson 4's demonstration)"
        )
    nets = [make_models(s) for s in seeds]
    G, D = _Stacked("G", [g for g, _ in nets]), _Stacked("D", [d for _, d in nets])
    opt_g, opt_d = make_optimizer(G, config.lr_g, config), make_optimizer(D, config.lr_d, config)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    R, B, latent_dim = len(seeds), config.batch_size, G.latent_dim
    d_loss = vmap(lambda r, f: objective.d_loss(r, f, real_label=config.real_label))
    d_stats, g_loss = vmap(objective.d_stats), vmap(objective.g_loss)
    names = ("loss_d", *objective.columns, "loss_g")
    rows: list[torch.Tensor] = []
    steps: list[int] = []
    t0, seconds = time.perf_counter(), []
    for step in tqdm(range(1, config.num_steps + 1), disable=not progress, desc=f"{R} runs", mininterval=1.0):
        d_logs = []
        for _ in range(config.d_steps):
            x_real, z = [], []
            for gen in gens:  # per run: its real batch, then its z, as train() draws them
                x_real.append(sample_batch(data, B, gen))
                z.append(torch.randn(B, latent_dim, generator=gen))
            x_real, z = torch.stack(x_real), torch.stack(z)  # (R, B, ...), (R, B, latent_dim)
            real_out, fake_out = D(x_real), D(G(z).detach())  # (R, B), (R, B)
            loss = d_loss(real_out, fake_out)  # (R,)
            opt_d.zero_grad()
            loss.sum().backward()
            opt_d.step()
            objective.after_d_step(D)
            stats = d_stats(real_out.detach(), fake_out.detach())
            d_logs.append(torch.stack([loss.detach(), *(stats[c] for c in objective.columns)]))
        g_logs = []
        for _ in range(config.g_steps):
            z = torch.stack([torch.randn(B, latent_dim, generator=gen) for gen in gens])
            loss = g_loss(D(G(z)))  # (R,)
            opt_g.zero_grad()
            loss.sum().backward()
            opt_g.step()
            g_logs.append(loss.detach())
        if step % config.log_every == 0:
            rows.append(torch.cat([torch.stack(d_logs).mean(0), torch.stack(g_logs).mean(0)[None]]))  # (columns, R)
            steps.append(step)
            seconds.append(time.perf_counter() - t0)
    values = torch.stack(rows).permute(2, 0, 1).reshape(R * len(steps), len(names))  # (R * logged steps, columns)
    history = pd.DataFrame(values.numpy(), columns=list(names))
    history.insert(0, "step", steps * R)
    history.insert(0, "seed", [s for s in seeds for _ in steps])
    history.insert(0, "run", [r for r in range(R) for _ in steps])
    history["seconds"] = seconds * R
    finite = torch.isfinite(values).all(dim=1)  # (R * logged steps,)
    if not finite.all():
        first = int((~finite).nonzero()[0])
        raise FloatingPointError(
            f"training diverged: run {first // len(steps)} (seed {seeds[first // len(steps)]}) "
            f"is not finite at step {steps[first % len(steps)]}"
        )
    order = ["run", "seed", "step", "loss_d", "loss_g", *objective.columns, "seconds"]
    return Ensemble(seeds=seeds, history=history[order], G=G, D=D, make_models=make_models)
