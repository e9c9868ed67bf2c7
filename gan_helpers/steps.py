r"""The two steps of GAN training, for any objective: :func:`d_step` and :func:`g_step`.

Each takes the networks, an optimiser and a batch, reads the device from its
inputs, does one update and returns what it logs as floats. The objective
(:mod:`gan_helpers.objectives`, by name or as an object) decides the losses;
:func:`gan_helpers.train.train` calls these two in its loop, and a lesson can
call them by hand. :func:`sample_batch` draws a real batch.
"""

from __future__ import annotations

import torch
from torch import nn

from . import objectives as _objectives
from .objectives import Objective

__all__ = ["d_step", "g_step", "sample_batch"]


def d_step(
    G: nn.Module,
    D: nn.Module,
    opt_d: torch.optim.Optimizer,
    x_real: torch.Tensor,
    z: torch.Tensor,
    objective: str | Objective = "non_saturating",
    *,
    y: torch.Tensor | None = None,
    real_label: float = 1.0,
    detach: bool = True,
    generator: torch.Generator | None = None,
    return_fake: bool = False,
) -> dict[str, float] | tuple[dict[str, float], torch.Tensor]:
    """One update of D on a real batch ``x_real`` and fakes ``G(z)`` (``G(z, y)``, ``D(x, y)`` with labels ``y``).

    D's loss is the objective's, plus its penalties (each logged under its
    name); the objective's :meth:`~gan_helpers.objectives.Objective.after_d_step`
    runs after the update. Returns ``loss_d`` and the objective's logs (for
    the BCE objectives: D's mean probabilities ``d_real`` and ``d_fake``), as
    floats. ``generator`` draws what the objective draws (WGAN-GP).
    ``return_fake=True`` returns ``(logs, x_fake)`` instead, ``x_fake`` still
    attached to G's graph, for a :func:`g_step` on the same fakes (``x_fake=``).

    ``detach=False`` is the classic missing ``.detach()``: D's loss then
    back-propagates into G too, and the gradients pile up in G's ``.grad``
    (over all D updates of a step). :func:`g_step` clears them
    (``opt_g.zero_grad()``) before G's own backward pass, so here the bug
    costs a backward pass through G per D update but leaves G's update
    unchanged; in code that zeroes G's gradients only after G's step, they
    would be added to G's update and push G to *help* D.
    """
    objective = _objectives.get(objective)
    args = () if y is None else (y,)
    if detach and not return_fake:  # D's loss must not reach G's weights: G's forward need not record a graph
        with torch.no_grad():
            x_fake = G(z, *args)  # (B, *shape)
    else:
        x_fake = G(z, *args)
    kept, x_fake = x_fake, (x_fake.detach() if detach else x_fake)
    real_out, fake_out = D(x_real, *args), D(x_fake, *args)  # (B,), (B,)
    loss = objective.d_loss(real_out, fake_out, real_label=_objectives.check_real_label(objective, real_label))
    terms = objective.penalties(D, x_real, x_fake, *args, generator=generator)
    for term in terms.values():
        loss = loss + term
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    objective.after_d_step(D)
    logs = {"loss_d": loss.item(), **objective.d_logs(real_out, fake_out)}
    logs = {**logs, **{name: term.item() for name, term in terms.items()}}
    return (logs, kept) if return_fake else logs


def g_step(
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    z: torch.Tensor,
    objective: str | Objective = "non_saturating",
    *,
    y: torch.Tensor | None = None,
    x_fake: torch.Tensor | None = None,
) -> dict[str, float]:
    """One update of G: lower the objective's G loss on ``D(G(z))`` (``D(G(z, y), y)``). Returns ``loss_g``.

    ``x_fake``: fakes already made by G, with their graph (from
    ``d_step(..., return_fake=True)``), used instead of ``G(z)``: one forward
    pass of G less (the pytorch/examples DCGAN does this); ``z`` is then unused.

    The backward pass also fills D's ``.grad``; only ``opt_g`` steps, and
    :func:`d_step` zeroes D's gradients before its own backward pass.
    """
    args = () if y is None else (y,)
    x_fake = G(z, *args) if x_fake is None else x_fake  # (B, *shape)
    loss = _objectives.get(objective).g_loss(D(x_fake, *args))  # D(G(z)): (B,) outputs
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    return {"loss_g": loss.item()}


def sample_batch(data, batch_size: int, generator: torch.Generator):
    """A real batch: ``batch_size`` rows of the tensor ``data`` (or of both tensors
    of a pair ``(x, y)``, at the same indices) drawn with replacement, or
    ``data(batch_size, generator)`` for a toy sampler.

    The result stays on ``data``'s device; :func:`~gan_helpers.train.train` moves it.
    """
    if isinstance(data, tuple):
        x, y = data
        idx = torch.randint(len(x), (batch_size,), generator=generator)  # (B,), on the CPU
        return x[idx.to(x.device)], y[idx.to(y.device)]  # (B, ...), (B,)
    if isinstance(data, torch.Tensor):
        idx = torch.randint(len(data), (batch_size,), generator=generator)  # (B,), on the CPU
        return data[idx.to(data.device)]  # (B, ...)
    x = data(batch_size, generator)
    if not isinstance(x, torch.Tensor) or x.dim() == 0 or x.shape[0] != batch_size:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            f"data(batch_size={batch_size}, generator) must return a tensor ({batch_size}, ...), got {got}"
        )
    return x
