"""Callbacks for :func:`gan_helpers.train.train`: things to do every few steps.

A callback is any callable ``cb(step, G, D, row)``, called after every
training step with that step's logged values in ``row``. Two here keep
samples from a fixed z (for a progress grid or animation) and the values of
a metric over training. Both run the networks in eval mode and restore their
modes afterwards, so they do not change training. The third,
:class:`WeightAverage`, keeps an exponential moving average of G's weights
:cite:p:`yazici2019unusual`, a copy of G that is often better than G itself.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Callable, Iterator

import torch
from torch import nn

from .utils import check_int, device_of

__all__ = ["Callback", "SampleEvery", "MetricEvery", "WeightAverage", "eval_mode"]

#: A callback: ``cb(step, G, D, row)``, called after every step.
Callback = Callable[[int, nn.Module, nn.Module, dict], None]


@contextlib.contextmanager
def eval_mode(*models: nn.Module) -> Iterator[None]:
    """Put ``models`` in eval mode for the block, then restore each one's mode."""
    before = [m.training for m in models]
    for m in models:
        m.eval()
    try:
        yield
    finally:
        for m, was_training in zip(models, before):
            m.train(was_training)


class SampleEvery:
    """Callback: every ``every`` steps, keep ``G(z_fixed)`` in ``.samples``.

    ``.samples`` is a list of ``(step, x)`` with ``x`` ``(B, *out_shape)`` on the
    CPU, detached. G runs in eval mode (BatchNorm uses its running
    statistics and is not updated), so sampling does not change training.
    For a class-conditional G, ``y_fixed`` (B,) gives the classes: ``G(z_fixed, y_fixed)``.
    """

    def __init__(self, every: int, z_fixed: torch.Tensor, y_fixed: torch.Tensor | None = None):
        self.every = check_int("every", every, minimum=1)
        if not isinstance(z_fixed, torch.Tensor) or z_fixed.dim() != 2:
            got = tuple(z_fixed.shape) if isinstance(z_fixed, torch.Tensor) else type(z_fixed).__name__
            raise ValueError(f"z_fixed must be a tensor (B, latent_dim), got {got}")
        if y_fixed is not None and (not isinstance(y_fixed, torch.Tensor) or y_fixed.shape != z_fixed.shape[:1]):
            got = tuple(y_fixed.shape) if isinstance(y_fixed, torch.Tensor) else type(y_fixed).__name__
            raise ValueError(f"y_fixed must be a tensor ({z_fixed.shape[0]},) of class labels, got {got}")
        self.z_fixed, self.y_fixed = z_fixed, y_fixed
        self.samples: list[tuple[int, torch.Tensor]] = []

    def __call__(self, step: int, G: nn.Module, D: nn.Module, row: dict) -> None:
        if step % self.every == 0:
            device = device_of(G)
            args = () if self.y_fixed is None else (self.y_fixed.to(device),)
            with eval_mode(G), torch.no_grad():
                x = G(self.z_fixed.to(device), *args)
            self.samples.append((step, x.detach().cpu()))


class MetricEvery:
    """Callback: every ``every`` steps, keep ``(step, fn(G, D))`` in ``.results``.

    ``fn`` is called with G and D in eval mode (their modes are restored
    afterwards); it must not change their weights.
    """

    def __init__(self, every: int, fn: Callable[[nn.Module, nn.Module], Any]):
        self.every = check_int("every", every, minimum=1)
        if not callable(fn):
            raise ValueError(f"fn must be callable as fn(G, D), got {fn!r}")
        self.fn = fn
        self.results: list[tuple[int, Any]] = []

    def __call__(self, step: int, G: nn.Module, D: nn.Module, row: dict) -> None:
        if step % self.every == 0:
            with eval_mode(G, D):
                self.results.append((step, self.fn(G, D)))


class WeightAverage:
    r"""Callback: an exponential moving average of G's weights, in ``.model``.

    After every step, each parameter :math:`\bar\theta` of the copy moves
    towards G's :math:`\theta`:

    .. math:: \bar\theta_t = \beta\, \bar\theta_{t-1} + (1 - \beta)\, \theta_t,
              \qquad \bar\theta_0 = \theta_0,

    with ``decay`` :math:`\beta`, so the copy averages G over roughly the
    last :math:`1 / (1 - \beta)` steps and smooths out the back-and-forth of
    the two players :cite:p:`yazici2019unusual`. Buffers (BatchNorm's running
    statistics) are copied from G as they are. The copy is made from ``G``
    when the callback is created, and is kept in eval mode; it is not saved in
    the loop's checkpoints, so a resumed run starts its average afresh.
    """

    def __init__(self, G: nn.Module, decay: float = 0.999):
        if not isinstance(G, nn.Module):
            raise ValueError(f"G must be a torch.nn.Module, got {type(G).__name__}")
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay < 1:
            raise ValueError(f"decay must be a number in [0, 1), got {decay!r}")
        self.decay = float(decay)
        self.model = copy.deepcopy(G).eval().requires_grad_(False)

    def __call__(self, step: int, G: nn.Module, D: nn.Module, row: dict) -> None:
        with torch.no_grad():
            for p_avg, p in zip(self.model.parameters(), G.parameters()):
                p_avg.lerp_(p.detach(), 1.0 - self.decay)  # p_avg + (1 - decay) (p - p_avg)
            for b_avg, b in zip(self.model.buffers(), G.buffers()):
                b_avg.copy_(b)
