r"""Training many single-point GANs at once: seeds x learning-rate pairs in one batch.

Every parameter carries a leading run dimension ``R`` and one optimiser step
updates all runs together (the arithmetic is :mod:`gan_helpers.point_engine`).
Run ``seed`` draws everything (initial parameters, then every step's inputs
and noise) from ``torch.Generator().manual_seed(seed)`` in the order of
:mod:`gan_helpers.point_config`, so a run's numbers do not depend on which
other runs share the sweep, and they are those of
:func:`gan_helpers.point.train_single` with the same seed. This module owns
:func:`simulate` (with the history and final parameters, a
:class:`SweepResult`) and :func:`sweep` (its table of runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd
import torch

from .point_config import PointConfig, box_muller, initial_values, is_success
from .point_engine import D_COLUMNS, BatchedOptimizer, d_grad, discriminator_prob, g_grad
from .utils import check_int, check_positive, torch_threads

__all__ = ["SweepResult", "simulate", "sweep"]


@dataclass(frozen=True)
class SweepResult:
    """What :func:`simulate` returns (frozen).

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
    with torch_threads(threads):
        return _simulate(seeds, lrs, config, record_every, device, progress, chunk, **options)


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
    inits = [initial_values(g, cfg.init_scale) for g in gens]
    theta_g = torch.stack([torch.cat([inits[i]["w"], inits[i]["b"]]) for i in seed_index.tolist()]).to(device)
    theta_d = torch.stack([torch.cat([inits[i][k] for k in D_COLUMNS]) for i in seed_index.tolist()]).to(device)
    lr_g = torch.tensor([[r[1]] for r in runs], device=device)  # (R, 1)
    lr_d = torch.tensor([[r[2]] for r in runs], device=device)
    opt_g = BatchedOptimizer(theta_g, lr_g, cfg)
    opt_d = BatchedOptimizer(theta_d, lr_d, cfg, weight_decay=cfg.d_weight_decay)

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
                eps = box_muller(u[:, B : B + 2 * K]) * cfg.noise_scale  # (R, K, 2)
                fake = (w.unsqueeze(1) + eps[..., :1]) * x.unsqueeze(1) + (b.unsqueeze(1) + eps[..., 1:])  # (R, K, B)
                fake = fake.reshape(R, n_fake)
            else:
                fake = w * x + b  # (R, B)
            v = torch.cat([real, fake], 1)  # (R, B + K*B)
            loss_d, grad = d_grad(theta_d, v, y, weight, B, cfg.fake_weight, cfg.r1_gamma, T)
            opt_d.step(grad, active)
            # --- G's step
            x = u[:, n_u - B :] * 2 - 1
            loss_g, grad = g_grad(theta_g, theta_d, x)
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
    final.update({k: theta_d[:, sl].cpu().numpy() for k, sl in D_COLUMNS.items()})
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
