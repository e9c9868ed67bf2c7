r"""Layers the course's networks are built from, and how their weights start.

* :class:`Maxout` :cite:p:`goodfellow2013maxout`, the hidden units of the
  2014 GAN's discriminator;
* :class:`VirtualBatchNorm` :cite:p:`salimans2016improved`, batch
  normalisation against a fixed reference batch;
* :func:`init_normal_`, the DCGAN initialisation :cite:p:`radford2016unsupervised`
  (N(0, 0.02) weights), and :func:`default_init_`, PyTorch's default
  initialisation drawn from a given ``torch.Generator``, with
  :func:`initial_weights`, which keeps torch's global RNG untouched while a
  network given a ``generator`` is built.

The networks themselves are in :mod:`gan_helpers.mlp`; :mod:`gan_helpers.models`
re-exports everything.
"""

from __future__ import annotations

import contextlib
import math
from typing import Iterator

import torch
from torch import nn

from .utils import check_int, check_positive

__all__ = ["Maxout", "VirtualBatchNorm", "init_normal_", "default_init_", "initial_weights"]


class Maxout(nn.Module):
    r"""Maxout units :cite:p:`goodfellow2013maxout`: the max of ``pieces`` linear functions.

    .. math::  h_j(x) = \max_{k = 1..K} \big(W_{jk}\, x + b_{jk}\big), \qquad j = 1..\text{out\_features}

    One ``nn.Linear(in_features, out_features * pieces)`` holds all the
    pieces; rows ``j * pieces`` to ``j * pieces + pieces - 1`` of its weight
    belong to unit ``j``. A maxout unit is a learned convex piecewise-linear
    activation; with ``pieces=1`` the layer is plain linear.
    """

    def __init__(self, in_features: int, out_features: int, pieces: int = 5):
        super().__init__()
        self.in_features = check_int("in_features", in_features, minimum=1)
        self.out_features = check_int("out_features", out_features, minimum=1)
        self.pieces = check_int("pieces", pieces, minimum=1)
        self.linear = nn.Linear(self.in_features, self.out_features * self.pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.linear(x)  # (B, out * pieces)
        a = a.view(*x.shape[:-1], self.out_features, self.pieces)  # (B, out, pieces)
        return a.amax(dim=-1)  # (B, out)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}"


class VirtualBatchNorm(nn.Module):
    r"""Virtual batch normalisation (:cite:t:`salimans2016improved`, section 3.5).

    Batch normalisation makes an example's output depend on the other
    examples of its batch. VBN normalises each example :math:`x` with the
    statistics of a fixed *reference batch* :math:`R` (:math:`n` examples)
    joined with :math:`x` itself, and of nothing else. Per feature,

    .. math::
        \mu_x = \frac{n\,\bar r + x}{n + 1}, \qquad
        s_x = \frac{n\,\overline{r^2} + x^2}{n + 1}, \qquad
        \mathrm{VBN}(x) = \gamma \, \frac{x - \mu_x}{\sqrt{s_x - \mu_x^2 + \epsilon}} + \beta,

    where :math:`\bar r` and :math:`\overline{r^2}` are the means of the
    reference batch and of its squares: :math:`\mu_x` and
    :math:`s_x - \mu_x^2` are the mean and (biased) variance of the
    :math:`n + 1` values :math:`R \cup \{x\}`. This is the form of the
    authors' code (``improved-gan``). The reference batch itself is
    normalised with its own statistics (:math:`\bar r`,
    :math:`\overline{r^2} - \bar r^2`), like batch norm.

    Usage: fix the reference with :meth:`set_reference` (or the
    ``reference`` argument), then call the layer on any batch, even of one
    example. No running statistics: train and eval modes behave the same.

    Inside a network the reference batch must go through the layers before
    this one, with the current weights, on every forward pass (that is what
    makes VBN cost two forward passes); :class:`~gan_helpers.mlp.MLPGenerator` does this. The
    statistics then carry the autograd graph of that pass, so gradients flow
    through them as in the paper.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, reference: torch.Tensor | None = None):
        super().__init__()
        self.num_features = check_int("num_features", num_features, minimum=1)
        self.eps = check_positive("eps", eps)
        self.weight = nn.Parameter(torch.ones(self.num_features))  # gamma
        self.bias = nn.Parameter(torch.zeros(self.num_features))  # beta
        # Statistics of the reference batch; buffers so .to(device) moves them,
        # not persistent: they are recomputed from the reference, never loaded.
        self.register_buffer("ref_mean", None, persistent=False)
        self.register_buffer("ref_meansq", None, persistent=False)
        self.ref_size = 0
        if reference is not None:
            self.set_reference(reference)

    def _check_input(self, name: str, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.num_features:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"{name} must have shape (B, {self.num_features}), got {shape}")
        if x.shape[0] == 0:
            raise ValueError(f"{name} must hold at least one example, got shape {tuple(x.shape)}")

    def _normalize(self, x: torch.Tensor, mean: torch.Tensor, meansq: torch.Tensor) -> torch.Tensor:
        var = (meansq - mean**2).clamp_min(0.0)  # clamp: rounding can make it slightly < 0
        return self.weight * (x - mean) / torch.sqrt(var + self.eps) + self.bias

    def set_reference(self, x_ref: torch.Tensor) -> torch.Tensor:
        """Fix the reference batch ``x_ref`` (n, C); returns it normalised with its own statistics."""
        self._check_input("x_ref", x_ref)
        self.ref_mean = x_ref.mean(0)  # (C,)
        self.ref_meansq = (x_ref**2).mean(0)  # (C,)
        self.ref_size = x_ref.shape[0]
        return self._normalize(x_ref, self.ref_mean, self.ref_meansq)  # (n, C)

    def detach_reference(self) -> None:
        """Keep the reference statistics as constants, dropping their autograd graph.

        Outputs already computed keep their gradient path; the layer itself
        then holds no graph (so it can be copied with ``copy.deepcopy``).
        """
        if self.ref_mean is not None:
            self.ref_mean, self.ref_meansq = self.ref_mean.detach(), self.ref_meansq.detach()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.ref_mean is None:
            raise RuntimeError("VirtualBatchNorm has no reference batch yet: call set_reference(x_ref) first")
        self._check_input("x", x)
        new = 1.0 / (self.ref_size + 1)  # weight of x in the joint batch R + {x}
        mean = new * x + (1 - new) * self.ref_mean  # (B, C): one mean per example
        meansq = new * x**2 + (1 - new) * self.ref_meansq  # (B, C)
        return self._normalize(x, mean, meansq)  # (B, C)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, ref_size={self.ref_size}"


def init_normal_(module: nn.Module, std: float = 0.02, generator: torch.Generator | None = None) -> nn.Module:
    """DCGAN initialisation :cite:p:`radford2016unsupervised`, in place; returns ``module``.

    Weights of Linear and Conv layers (Maxout's included) ~ N(0, std), their
    biases 0; scales of BatchNorm and VirtualBatchNorm ~ N(1, std), shifts 0.
    ``generator`` makes the draw reproducible without touching the global RNG.
    """
    std = check_positive("std", std)
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std, generator=generator)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, VirtualBatchNorm)):
            nn.init.normal_(m.weight, 1.0, std, generator=generator)
            nn.init.zeros_(m.bias)
    return module


def default_init_(module: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    r"""PyTorch's own initialisation of every Linear and Conv layer of ``module``, drawn from ``generator``; in place.

    Layer by layer in the order of ``module.modules()``, exactly as their
    ``reset_parameters`` draw them: weight Kaiming-uniform with :math:`a = \sqrt 5`,
    i.e. :math:`U(-1/\sqrt{n_\text{in}}, 1/\sqrt{n_\text{in}})`, then bias from
    the same interval (:math:`n_\text{in}`: inputs per output unit). A network
    built under ``torch.manual_seed(s)`` therefore gets the same weights as one
    re-initialised with ``default_init_(net, torch.Generator().manual_seed(s))``,
    as long as those are its only randomly initialised layers (normalisation
    layers start at scale 1, shift 0 either way). ``generator=None`` leaves
    ``module`` unchanged. Returns ``module``.
    """
    if generator is None:
        return module
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            if m.bias is not None:
                fan_in = m.weight[0].numel()  # inputs per output unit: in_features, or in_channels * kernel size
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
    return module


@contextlib.contextmanager
def initial_weights(generator: torch.Generator | None) -> Iterator[None]:
    """Build layers inside; with a ``generator``, torch's global RNG is left as it was.

    The layers still draw their default weights from the global RNG; a
    constructor then replaces them with :func:`default_init_` from
    ``generator``, and the global state is restored on leaving the block, so a
    seeded lesson's later draws do not move. With ``None`` nothing changes.
    """
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    with torch.random.fork_rng(devices=[], enabled=generator is not None):
        yield
