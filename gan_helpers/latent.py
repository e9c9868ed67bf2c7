r"""The latent space of a generator: interpolating between latent vectors, and searching for the z of an image.

**Interpolation.** Between :math:`z_0` and :math:`z_1`, for :math:`t \in [0, 1]`,

.. math::

    \mathrm{lerp}(z_0, z_1; t) = (1 - t)\, z_0 + t\, z_1, \qquad
    \mathrm{slerp}(z_0, z_1; t) = \frac{\sin((1 - t)\,\Omega)}{\sin \Omega}\, z_0
                                + \frac{\sin(t\,\Omega)}{\sin \Omega}\, z_1,

with :math:`\cos\Omega = z_0 \cdot z_1 / (\lVert z_0\rVert \lVert z_1\rVert)`
:cite:p:`shoemake1985animating`. Both pass through :math:`z_0` at t = 0 and
:math:`z_1` at t = 1. When the two ends have the same norm, slerp follows the
great circle of that sphere and keeps the norm; lerp cuts the chord, and its
midpoint of two orthogonal vectors of norm r has norm :math:`r/\sqrt2`. For
:math:`z \sim \mathcal N(0, I_d)` the norm concentrates near :math:`\sqrt d`
and two draws are nearly orthogonal, so lerp's midpoints are vectors G was
almost never trained on :cite:p:`white2016sampling`. For parallel or
opposite ends (:math:`\sin\Omega \approx 0`) slerp falls back to lerp.

**Latent search** finds z for a target image t by gradient descent on
:math:`L(G(z), t, z)` (:mod:`gan_helpers.latent_losses`), with Adam
:cite:p:`kingma2015adam`, from several random starts ("restarts")
:cite:p:`lipton2017precise,creswell2019inverting`. :func:`search` runs every
target and every restart as one batch of :math:`N \times R` latent vectors.
Each image's loss depends on its own z only, G runs in eval mode (BatchNorm
with its running statistics) and Adam updates each coordinate on its own, so
the batch is :math:`N R` independent searches: a target gives the same
result searched alone or with others. An optional cosine schedule
:cite:p:`loshchilov2017sgdr` lowers the learning rate to 0 over the steps.

The losses and priors of :mod:`gan_helpers.latent_losses` are re-exported here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .latent_losses import (
    PRIOR_KINDS,
    FeatureLoss,
    Loss,
    PixelMSE,
    Prior,
    WeightedSum,
    check_targets,
    classifier_feature_loss,
    discriminator_feature_loss,
)
from .utils import check_choice, check_int, check_positive, device_of

__all__ = [
    "lerp",
    "slerp",
    "interpolate",
    "interpolation_grid",
    "INTERPOLATIONS",
    "SCHEDULES",
    "SearchResult",
    "search",
    # re-exported from gan_helpers.latent_losses
    "Loss",
    "PixelMSE",
    "FeatureLoss",
    "Prior",
    "WeightedSum",
    "PRIOR_KINDS",
    "classifier_feature_loss",
    "discriminator_feature_loss",
    "check_targets",
]

INTERPOLATIONS = ("lerp", "slerp")
SCHEDULES = ("constant", "cosine")


def _ends(z0: torch.Tensor, z1: torch.Tensor) -> None:
    for name, z in (("z0", z0), ("z1", z1)):
        if not isinstance(z, torch.Tensor) or not z.is_floating_point() or z.dim() < 1:
            raise ValueError(f"{name} must be a float tensor of latent vectors (..., d), got {z!r:.80}")
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}")


def _times(t, like: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """``t`` as a tensor shaped to broadcast against ``(T, ..., 1)``, and whether it was a sequence."""
    tt = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    if tt.dim() > 1 or not torch.isfinite(tt).all():
        raise ValueError(f"t must be a finite number or a 1-D sequence of numbers, got {t!r:.80}")
    return (tt.view(-1, *([1] * like.dim())) if tt.dim() == 1 else tt), tt.dim() == 1


def lerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    r"""Linear interpolation :math:`(1 - t) z_0 + t z_1`.

    ``z0``, ``z1``: ``(..., d)``. ``t``: a number (result ``(..., d)``) or a
    1-D sequence of T numbers (result ``(T, ..., d)``).
    """
    _ends(z0, z1)
    tt, _ = _times(t, z0)
    return (1 - tt) * z0 + tt * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    r"""Spherical interpolation :math:`\frac{\sin((1-t)\Omega)}{\sin\Omega} z_0 + \frac{\sin(t\Omega)}{\sin\Omega} z_1`.

    :math:`\Omega` is the angle between ``z0`` and ``z1`` along the last
    dimension; shapes as in :func:`lerp`. Where :math:`|\cos\Omega|` is within
    10 machine epsilons of 1 (parallel or opposite ends), the pair is
    interpolated linearly.
    """
    _ends(z0, z1)
    tt, _ = _times(t, z0)
    cos = (z0 * z1).sum(-1, keepdim=True) / (z0.norm(dim=-1, keepdim=True) * z1.norm(dim=-1, keepdim=True))
    omega = torch.arccos(cos.clamp(-1.0, 1.0))  # (..., 1)
    sin = torch.sin(omega)
    near = 1 - cos.abs() < 10 * torch.finfo(cos.dtype).eps  # parallel or opposite, to the dtype's precision
    safe = torch.where(near, torch.ones_like(sin), sin)
    a = torch.where(near, 1 - tt, torch.sin((1 - tt) * omega) / safe)
    b = torch.where(near, tt * torch.ones_like(sin), torch.sin(tt * omega) / safe)
    return a * z0 + b * z1


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "slerp") -> torch.Tensor:
    """``steps`` evenly spaced points from ``z0`` to ``z1`` (both ends included): ``(steps, ..., d)``."""
    steps = check_int("steps", steps, minimum=2)
    fn = {"lerp": lerp, "slerp": slerp}[check_choice("method", method, INTERPOLATIONS)]
    _ends(z0, z1)
    return fn(z0, z1, torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device))


def interpolation_grid(
    G: nn.Module, z0: torch.Tensor, z1: torch.Tensor, steps: int = 8, method: str = "slerp"
) -> torch.Tensor:
    """G's images along :func:`interpolate` for each pair: ``(rows, steps, C, H, W)``, one row per pair.

    ``z0``, ``z1``: ``(rows, d)``, moved to G's device. G runs without
    gradients, as it is (put it in eval mode first).
    """
    _ends(z0, z1)
    if z0.dim() != 2:
        raise ValueError(f"z0 and z1 must be (rows, d), got shape {tuple(z0.shape)}")
    path = interpolate(z0, z1, steps, method).to(device_of(G))  # (steps, rows, d)
    with torch.no_grad():
        x = G(path.flatten(0, 1))  # (steps * rows, C, H, W)
    return x.view(steps, z0.shape[0], *x.shape[1:]).transpose(0, 1)  # (rows, steps, C, H, W)


@dataclass(frozen=True)
class SearchResult:
    """What :func:`search` found for N targets with R restarts each.

    On G's device: ``z`` ``(N, d)``, the best restart's final z per target;
    ``images`` ``(N, C, H, W)``, G(z). On the CPU: ``z_init``, ``z_final``
    ``(N, R, d)``, every restart's start and end; ``path`` ``(F, N, R, d)``,
    z at the steps ``path_steps`` (with ``record_every``; else F = 0). NumPy:
    ``history`` ``(steps + 1, N, R)``, the loss after each number of updates
    (row 0: at the start); ``final`` = ``history[-1]``; ``best`` ``(N,)``, the
    restart of least final loss; ``loss`` ``(N,)``, its loss; ``mse`` ``(N,)``,
    its pixel MSE to the target. ``seconds``: the search's wall time.
    """

    z: torch.Tensor
    images: torch.Tensor
    z_init: torch.Tensor
    z_final: torch.Tensor
    history: np.ndarray
    best: np.ndarray
    loss: np.ndarray
    mse: np.ndarray
    path: torch.Tensor
    path_steps: tuple[int, ...]
    seconds: float

    @property
    def final(self) -> np.ndarray:
        """Every restart's final loss, ``(N, R)``."""
        return self.history[-1]


def _latent_dim(G: nn.Module, latent_dim: int | None) -> int:
    declared = getattr(G, "latent_dim", None)
    if latent_dim is None:
        if declared is None:
            raise ValueError("G has no `latent_dim` attribute: pass latent_dim= (the size of G's input z)")
        return int(declared)
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    if declared is not None and int(declared) != latent_dim:
        raise ValueError(f"latent_dim={latent_dim} does not match the generator: G.latent_dim is {declared}")
    return latent_dim


def _lr_at(schedule: str, lr: float, step: int, steps: int) -> float:
    if schedule == "constant":
        return lr
    return 0.5 * lr * (1 + math.cos(math.pi * step / steps))  # lr at step 0, 0 after the last


def search(
    G: nn.Module,
    target: torch.Tensor,
    loss: Loss | None = None,
    steps: int = 200,
    restarts: int = 4,
    lr: float = 0.05,
    schedule: str = "cosine",
    seed: int = 0,
    z_init: torch.Tensor | None = None,
    latent_dim: int | None = None,
    autocast: bool = False,
    record_every: int | None = None,
    progress: bool = False,
) -> SearchResult:
    r"""Latent search: for each target, the z that minimises ``loss(G(z), target, z)``, by Adam from ``restarts`` starts.

    ``target``: ``(N, C, H, W)`` in [-1, 1], G's image shape. ``loss``: a
    :class:`~gan_helpers.latent_losses.Loss` (default :class:`PixelMSE`).
    ``z_init`` ``(N, restarts, d)`` gives the starts; by default they are
    drawn from :math:`\mathcal N(0, I)` by a CPU generator seeded with
    ``seed``. ``schedule``: ``"constant"`` or ``"cosine"`` (``lr`` down to 0
    over ``steps``). ``autocast``: run G in bfloat16 (the loss is taken in
    float32). ``record_every``: keep every restart's z every so many steps
    (for an animation). G runs in eval mode and is left as it was; its
    parameters get no gradients. Returns a :class:`SearchResult`.
    """
    if not isinstance(G, nn.Module):
        raise ValueError(f"G must be a generator (an nn.Module), got {type(G).__name__}")
    loss = PixelMSE() if loss is None else loss
    if not isinstance(loss, Loss):
        raise ValueError(f"loss must be a latent_losses.Loss (PixelMSE(), FeatureLoss(...), a sum), got {loss!r}")
    steps, restarts = check_int("steps", steps, minimum=1), check_int("restarts", restarts, minimum=1)
    lr, seed = check_positive("lr", lr), check_int("seed", seed, minimum=0)
    schedule = check_choice("schedule", schedule, SCHEDULES)
    record_every = None if record_every is None else check_int("record_every", record_every, minimum=1)
    d, device = _latent_dim(G, latent_dim), device_of(G)
    if autocast and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError("autocast=True runs G in bfloat16, which this CUDA device lacks: use autocast=False")
    dtype, was_training = next(G.parameters(), torch.zeros(())).dtype, G.training
    G.eval()
    try:
        with torch.no_grad():
            try:
                shape = tuple(G(torch.zeros(1, d, device=device, dtype=dtype)).shape[1:])
            except (RuntimeError, ValueError) as err:
                raise ValueError(f"G does not take latent vectors of size {d}: {err}") from err
        target = check_targets("target", target, shape).to(device)
        n = len(target)
        if z_init is None:
            z_init = torch.randn(n, restarts, d, generator=torch.Generator().manual_seed(seed))
        elif not isinstance(z_init, torch.Tensor) or tuple(z_init.shape) != (n, restarts, d):
            got = tuple(z_init.shape) if isinstance(z_init, torch.Tensor) else type(z_init).__name__
            raise ValueError(f"z_init must be (N targets, restarts, latent_dim) = {(n, restarts, d)}, got {got}")
        z = z_init.detach().to(device=device, dtype=dtype).reshape(n * restarts, d).clone().requires_grad_(True)
        objective = loss.bind(target.to(dtype).repeat_interleave(restarts, dim=0))  # (N R, C, H, W) targets
        optimizer = torch.optim.Adam([z], lr=lr)

        def evaluate() -> torch.Tensor:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                x = G(z)
            return objective(x.float() if autocast else x, z)  # (N R,)

        losses, path, path_steps = [], [], []
        bar = tqdm(range(steps + 1), desc="latent search", disable=not progress)
        start = time.perf_counter()
        for step in bar:
            if record_every is not None and (step % record_every == 0 or step == steps):
                path.append(z.detach().cpu().view(n, restarts, d).clone())
                path_steps.append(step)
            per_image = evaluate()
            losses.append(per_image.detach())
            if step == steps:
                break
            (grad,) = torch.autograd.grad(per_image.sum(), z)  # each z's gradient is its own image's
            z.grad = grad
            for group in optimizer.param_groups:
                group["lr"] = _lr_at(schedule, lr, step, steps)
            optimizer.step()
        seconds = time.perf_counter() - start
        history = torch.stack(losses).double().cpu().numpy().reshape(steps + 1, n, restarts)
        best = history[-1].argmin(axis=1)  # (N,)
        z_final = z.detach().view(n, restarts, d)
        z_best = z_final[torch.arange(n, device=device), torch.as_tensor(best, device=device)]  # (N, d)
        with torch.no_grad():
            images = G(z_best)
    finally:
        G.train(was_training)
    mse = (images.float() - target.float()).pow(2).flatten(1).mean(1).double().cpu().numpy()
    path = torch.stack(path) if path else torch.zeros(0, n, restarts, d)
    loss_best = history[-1][np.arange(n), best]
    # fmt: off
    return SearchResult(z=z_best, images=images, z_init=z_init.detach().cpu(), z_final=z_final.cpu(), history=history,
                        best=best, loss=loss_best, mse=mse, path=path, path_steps=tuple(path_steps), seconds=seconds)
    # fmt: on
