r"""One training loop for the GANs of lessons 4 on, whatever their objective.

A training *step* of :func:`train` is ``d_steps`` updates of D followed by
``g_steps`` updates of G (both 1 by default, as in Algorithm 1 of
:cite:t:`goodfellow2014generative`, whose :math:`k` is ``d_steps``):

* :func:`d_step` lowers the objective's D loss on a fresh real batch and
  fresh z, plus its penalties; then the objective's hook runs (weight
  clipping, for WGAN);
* :func:`g_step` lowers the objective's G loss on fresh z.

The objective (:mod:`gan_helpers.objectives`) is the only thing a method
changes: ``"non_saturating"`` (the default), ``"minimax"``, ``"hinge"``,
``"wgan"``, ``"wgan-gp"``, each with an optional R1 penalty.

**Class-conditional GANs.** When ``data`` is a pair ``(x, y)`` of tensors
(``y`` the class labels), G and D must have ``num_classes`` and are called as
``G(z, y)`` and ``D(x, y)``: D's fakes take the classes of the real batch,
G's own step draws classes uniformly.

**Randomness.** One ``torch.Generator`` on the CPU, seeded with
``config.seed``, draws everything the loop samples, in this order per step:
for each D update the indices of the real batch (uniformly *with
replacement*, so there are no epochs to keep track of) or the toy sampler's
draw, then z, then what the objective draws (WGAN-GP's interpolation
weights); for each G update, z (then the classes, for a conditional G).
Numbers are drawn on the CPU and then moved to the device, so a run draws
the same z on CPU and GPU. Dropout draws from torch's global RNG: seed it
first (``seed_everything``), as the lessons' setup cell does.

**Checkpoints** (:mod:`gan_helpers.checkpoint`): training N steps in one go,
or N/2 steps then N/2 more from the checkpoint, gives the same weights on
the CPU (tested).
"""

from __future__ import annotations

import math
import os
import time
from typing import Sequence

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from . import objectives as _objectives
from .callbacks import Callback, MetricEvery, SampleEvery
from .checkpoint import architecture_signature, load_checkpoint, save_checkpoint
from .objectives import Objective
from .steps import d_step, g_step, sample_batch
from .train_config import ADAM_BETAS, OPTIMIZERS, SGD_MOMENTUM, TrainConfig, check_data, data_classes, make_optimizer
from .utils import check_int, device_of

__all__ = [
    "train",
    "history_columns",
    "HISTORY_COLUMNS",
    "TrainConfig",
    "ADAM_BETAS",
    "SGD_MOMENTUM",
    "OPTIMIZERS",
    "make_optimizer",
    "d_step",
    "g_step",
    "sample_batch",
    # re-exported from train_config, steps, callbacks and checkpoint, where they live
    "SampleEvery",
    "MetricEvery",
    "architecture_signature",
    "save_checkpoint",
    "load_checkpoint",
]


def history_columns(objective: str | Objective = "non_saturating") -> tuple[str, ...]:
    """The columns of the history :func:`train` returns with ``objective``."""
    return ("step", "loss_d", "loss_g", *_objectives.get(objective).columns, "seconds")


#: The history columns with the default objective.
HISTORY_COLUMNS = history_columns()


# ----------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------


def _mean(logs: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each key over a list of dicts with the same keys."""
    return {k: sum(log[k] for log in logs) / len(logs) for k in logs[0]}


def _check_finite_logs(step: int, logs: dict[str, float]) -> None:
    for name, value in logs.items():
        if not math.isfinite(value):
            raise FloatingPointError(f"{name} = {value} at step {step}: training diverged (try smaller learning rates)")


def _check_columns(objective: Objective, row: dict) -> None:
    """At the first step: the objective logged exactly the columns it names."""
    logged = set(row) - {"step", "loss_d", "loss_g", "seconds"}
    if set(objective.columns) - logged:
        raise ValueError(
            f"objective {objective.name!r} names history columns {sorted(set(objective.columns) - logged)} that its steps did not log"
        )
    if logged - set(objective.columns):
        raise ValueError(
            f"objective {objective.name!r} logged {sorted(logged - set(objective.columns))}, which its columns do not name"
        )


def train(
    G: nn.Module,
    D: nn.Module,
    data,
    config: TrainConfig,
    callbacks: Sequence[Callback] = (),
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    device: str | torch.device | None = None,
    parallel=None,
) -> pd.DataFrame:
    """Train G against D with ``config.objective``; return the history, one row every ``config.log_every`` steps.

    ``data``: a tensor (N, ...) of real examples, scaled like G's outputs; a
    pair ``(x, y)`` with class labels ``y`` (N,) for a conditional G and D;
    or a sampler ``data(batch_size, generator) -> (batch_size, ...)`` for toy
    distributions (see :func:`sample_batch`). G must have ``.latent_dim``;
    z ~ N(0, I) of shape (batch_size, G.latent_dim).

    History columns (:func:`history_columns`): ``step``; ``loss_d`` and the
    objective's columns (e.g. ``d_real``, ``d_fake``; means over the step's D
    updates), ``loss_g`` (mean over its G updates); ``seconds`` since
    training began. Only steps that are multiples of ``log_every`` are kept.

    ``callbacks``: each is called as ``cb(step, G, D, row)`` after every
    step, ``row`` being that step's values (logged or not).

    ``device``: where to train (G and D are moved there, in place); default:
    where G's parameters are. Both nets are in train mode while training
    (dropout on) and are returned in the modes they had.

    ``checkpoint``: a file to save to, every ``config.checkpoint_every``
    steps and at the end. With ``resume=True`` and that file present,
    training continues from it up to ``config.num_steps``: models,
    optimiser moments, RNG states (this sets torch's global RNG state) and
    history come from the file; learning rates and betas from ``config``.
    Callbacks' contents are not saved. With ``resume=False`` an existing
    file is overwritten.

    ``parallel``: a :class:`gan_helpers.distributed.Parallel` to train on
    several processes with DDP (:mod:`gan_helpers.distributed`): each rank
    takes its shard of the same global batch of ``config.batch_size``, the
    steps run on the DDP-wrapped nets, the history holds the means over the
    ranks, and only rank 0 writes ``checkpoint`` and shows progress.
    Callbacks get the unwrapped G and D. None: one process.

    A non-finite loss raises ``FloatingPointError`` naming the step.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=path (the file to resume from)")
    latent_dim = check_int("G.latent_dim", getattr(G, "latent_dim", None), minimum=1)
    check_data(data)
    num_classes = data_classes(G, D, labelled=isinstance(data, tuple))
    callbacks = tuple(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise ValueError(f"every callback must be callable as cb(step, G, D, row), got {cb!r}")
    if parallel is not None:
        parallel.check_batch_size(config.batch_size)
    device = device_of(G) if device is None else torch.device(device)
    G.to(device)
    D.to(device)
    modes = (G.training, D.training)
    objective = config.objective
    columns = history_columns(objective)

    gen = torch.Generator().manual_seed(config.seed)  # real batches, z, the objective's draws
    opt_g = make_optimizer(G, config.lr_g, config)
    opt_d = make_optimizer(D, config.lr_d, config)
    history: dict[str, list] = {col: [] for col in columns}
    start, seconds_before = 0, 0.0
    if checkpoint is not None and resume and os.path.exists(checkpoint):
        state = load_checkpoint(checkpoint, G, D, opt_g, opt_d)
        missing = set(columns) - set(state["history"])
        if missing:
            raise ValueError(
                f"{os.fspath(checkpoint)!r} has no history columns {sorted(missing)}: was it trained with another objective?"
            )
        for opt, lr in ((opt_g, config.lr_g), (opt_d, config.lr_d)):
            for group in opt.param_groups:  # the config, not the file, sets these
                group["lr"] = lr
                if "betas" in group:
                    group["betas"] = config.betas
        gen.set_state(state["rng_state"])
        torch.set_rng_state(state["torch_rng_state"])
        if state.get("cuda_rng_state") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng_state"])
        history = {col: list(state["history"][col]) for col in columns}
        start = state["step"]
        seconds_before = history["seconds"][-1] if history["seconds"] else 0.0

    B = config.batch_size
    G_run, D_run, shard = G, D, None  # the nets the steps run, and this rank's rows of a global batch
    if parallel is not None:
        G_run, D_run, shard = parallel.wrap(G), parallel.wrap(D), parallel.shard
    writes = parallel is None or parallel.is_main
    t0 = time.perf_counter()
    # At most one refresh a second: in a notebook every refresh is a message to the front end,
    # and a cell that sends thousands of them can overflow the kernel's message queue.
    bar = tqdm(
        total=config.num_steps, initial=start, disable=not (progress and writes), desc="training", mininterval=1.0
    )
    try:
        G.train()
        D.train()
        for step in range(start + 1, config.num_steps + 1):
            d_logs = []
            for _ in range(config.d_steps):
                batch = sample_batch(data, B, gen)
                z = torch.randn(B, latent_dim, generator=gen)  # (B, latent_dim)
                if shard is not None:  # (B / world_size, ...) on each rank
                    batch, z = (tuple(map(shard, batch)) if num_classes else shard(batch)), shard(z)
                x_real, y = (batch[0].to(device), batch[1].to(device)) if num_classes else (batch.to(device), None)
                z = z.to(device)
                logs = d_step(
                    G_run,
                    D_run,
                    opt_d,
                    x_real,
                    z,
                    objective,
                    y=y,
                    real_label=config.real_label,
                    detach=config.detach,
                    generator=gen,
                    return_fake=config.reuse_fakes,
                )
                if config.reuse_fakes:  # the fakes (and their classes y) G's update takes
                    logs, reused = logs[0], (logs[1], y)
                d_logs.append(logs)
                _check_finite_logs(step, d_logs[-1])
            g_logs = []
            for _ in range(config.g_steps):
                if config.reuse_fakes:
                    g_logs.append(g_step(G_run, D_run, opt_g, None, objective, y=reused[1], x_fake=reused[0]))
                    _check_finite_logs(step, g_logs[-1])
                    continue
                z = torch.randn(B, latent_dim, generator=gen)
                y = torch.randint(num_classes, (B,), generator=gen) if num_classes else None
                if shard is not None:
                    z, y = shard(z), (shard(y) if num_classes else None)
                z, y = z.to(device), (y.to(device) if num_classes else None)
                g_logs.append(g_step(G_run, D_run, opt_g, z, objective, y=y))
                _check_finite_logs(step, g_logs[-1])

            logs = {**_mean(d_logs), **_mean(g_logs)}
            row = {"step": step, **(logs if parallel is None else parallel.mean_logs(logs))}
            row["seconds"] = seconds_before + time.perf_counter() - t0
            if step == start + 1:
                _check_columns(objective, row)
            if step % config.log_every == 0:
                for col in columns:
                    history[col].append(row[col])
                bar.set_postfix(loss_d=f"{row['loss_d']:.3f}", loss_g=f"{row['loss_g']:.3f}", refresh=False)
            for cb in callbacks:
                cb(step, G, D, row)
            if callbacks:  # a callback may have changed the modes
                G.train()
                D.train()
            bar.update(1)
            every = config.checkpoint_every
            if checkpoint is not None and writes and (step == config.num_steps or (every and step % every == 0)):
                save_checkpoint(checkpoint, G, D, opt_g, opt_d, step, history, gen.get_state(), config.to_dict())
    finally:
        bar.close()
        G.train(modes[0])
        D.train(modes[1])
    return pd.DataFrame(history, columns=list(columns))
