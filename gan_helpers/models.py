r"""Fully connected GANs for 28x28 MNIST and for small 1-D and 2-D toys.

Two styles of each network:

``style="2014"``, after Goodfellow et al. (2014), "Generative adversarial
nets", as released in their MNIST configuration (``mnist.yaml`` in
github.com/goodfeli/adversarial):

* G: Linear -> ReLU for every hidden layer, then a sigmoid output layer.
  That is the paper's "mixture of rectifier linear activations and sigmoid
  activations" for MNIST (their face model, TFD, also has a sigmoid hidden
  layer; we do not). Departure: our data lives in [-1, 1], not [0, 1], so the
  output is :math:`\tanh(a) = 2\sigma(2a) - 1`, the same sigmoid rescaled.
  The paper draws z from a uniform; :mod:`gan_helpers.train` draws
  :math:`z \sim \mathcal N(0, I)`.
* D: dropout 0.2 on the input, then Maxout (5 pieces) -> Dropout(0.5) for
  every hidden layer (the paper: 240 units x 5 pieces, two layers), then one
  linear output logit.

``style="modern"``, the usual recipe since DCGAN (Radford et al. 2016):

* G: Linear -> BatchNorm1d -> LeakyReLU(0.2) per hidden layer, tanh output.
* D: Linear -> LeakyReLU(0.2) -> Dropout(0.3) per hidden layer, linear output.

``style="modern-vbn"`` (G only) replaces BatchNorm1d by
:class:`VirtualBatchNorm` (Salimans et al. 2016), so that G's output for one
z does not depend on the other z's of its batch.

Every D returns one **logit** per example, shape ``(B,)``: the losses in
:mod:`gan_helpers.losses` take logits. :func:`init_normal_` is the
DCGAN initialisation, N(0, 0.02) weights.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .utils import check_choice, check_int, check_nonnegative, check_positive

__all__ = [
    "Maxout",
    "VirtualBatchNorm",
    "MLPGenerator",
    "MLPDiscriminator",
    "init_normal_",
    "GENERATOR_STYLES",
    "DISCRIMINATOR_STYLES",
]

GENERATOR_STYLES = ("modern", "modern-vbn", "2014")
DISCRIMINATOR_STYLES = ("modern", "2014")


def _check_shape(name: str, shape: Sequence[int]) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints, or ``ValueError``."""
    if isinstance(shape, int) or not isinstance(shape, Sequence) or len(shape) == 0:
        raise ValueError(f"{name} must be a non-empty tuple of positive integers, got {shape!r}")
    return tuple(check_int(f"{name}[{i}]", s, minimum=1) for i, s in enumerate(shape))


def _check_dropout(name: str, p: float) -> float:
    p = check_nonnegative(name, p)
    if p >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {p!r}")
    return p


class Maxout(nn.Module):
    r"""Maxout units (Goodfellow et al. 2013): the max of ``pieces`` linear functions.

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
    r"""Virtual batch normalisation (Salimans et al. 2016, section 3.5).

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
    makes VBN cost two forward passes); :class:`MLPGenerator` does this. The
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


class MLPGenerator(nn.Module):
    """Fully connected G: z (B, latent_dim) -> x (B, *out_shape) in [-1, 1].

    ``hidden`` lists the widths of the hidden layers. ``style`` is
    ``"modern"`` (Linear -> BatchNorm1d -> LeakyReLU(0.2)), ``"modern-vbn"``
    (the same with :class:`VirtualBatchNorm`) or ``"2014"`` (Linear -> ReLU);
    see the module docstring. The output layer is Linear -> tanh (images in
    [-1, 1]), or just Linear with ``output="linear"`` (toy data on any scale).

    For ``"modern-vbn"`` the reference batch is ``reference_size`` latent
    vectors drawn once, at construction, from
    ``torch.Generator().manual_seed(reference_seed)`` (so it does not touch
    torch's global RNG). It is kept in the buffer ``z_ref``, so it moves with
    ``.to(device)`` and is saved in the ``state_dict``. Every forward pass
    first sends ``z_ref`` through the network, which fixes each VBN layer's
    reference statistics for the current weights, then the batch ``z``.
    """

    def __init__(
        self,
        latent_dim: int,
        out_shape: Sequence[int] = (1, 28, 28),
        hidden: Sequence[int] = (256, 512),
        style: str = "modern",
        reference_size: int = 64,
        reference_seed: int = 0,
        output: str = "tanh",
    ):
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.output = check_choice("output", output, ("tanh", "linear"))
        self.out_shape = _check_shape("out_shape", out_shape)
        self.hidden = _check_shape("hidden", hidden)
        self.style = check_choice("style", style, GENERATOR_STYLES)

        layers: list[nn.Module] = []
        width = self.latent_dim
        for h in self.hidden:
            if style == "2014":
                layers += [nn.Linear(width, h), nn.ReLU()]
            else:
                norm = nn.BatchNorm1d(h) if style == "modern" else VirtualBatchNorm(h)
                # no bias: the normalisation that follows would subtract it
                layers += [nn.Linear(width, h, bias=False), norm, nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, math.prod(self.out_shape)))
        if output == "tanh":
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

        if style == "modern-vbn":
            reference_size = check_int("reference_size", reference_size, minimum=1)
            reference_seed = check_int("reference_seed", reference_seed, minimum=0)
            gen = torch.Generator().manual_seed(reference_seed)
            self.register_buffer("z_ref", torch.randn(reference_size, self.latent_dim, generator=gen))

    def _set_vbn_references(self) -> None:
        """Send ``z_ref`` through the network; each VBN layer keeps its statistics."""
        h = self.z_ref  # (n, latent_dim)
        for layer in self.net:
            h = layer.set_reference(h) if isinstance(layer, VirtualBatchNorm) else layer(h)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (B, latent_dim={self.latent_dim}), got {shape}")
        if self.style == "modern-vbn":
            self._set_vbn_references()
        x = self.net(z)  # (B, prod(out_shape))
        if self.style == "modern-vbn":
            for layer in self.net:
                if isinstance(layer, VirtualBatchNorm):
                    layer.detach_reference()  # x keeps its gradient path; the layer keeps no graph
        return x.view(z.shape[0], *self.out_shape)  # (B, *out_shape)


class MLPDiscriminator(nn.Module):
    """Fully connected D: x (B, *in_shape) -> one logit per example, (B,).

    ``in_shape`` is ``(1, 28, 28)`` for MNIST, ``(2,)`` or ``(1,)`` for toys
    (inputs are flattened; for ``(1,)`` a batch of shape ``(B,)`` is
    accepted too). ``style``: ``"modern"`` (Linear -> LeakyReLU(0.2) ->
    Dropout) or ``"2014"`` (Dropout(0.2) on the input, then Maxout with
    ``maxout_pieces`` pieces -> Dropout per hidden layer); see the module
    docstring. ``dropout`` is the hidden layers' dropout rate; ``None``
    means the style's own (0.3 for modern, 0.5 for 2014).
    """

    def __init__(
        self,
        in_shape: Sequence[int] = (1, 28, 28),
        hidden: Sequence[int] = (512, 256),
        style: str = "modern",
        dropout: float | None = None,
        maxout_pieces: int = 5,
    ):
        super().__init__()
        self.in_shape = _check_shape("in_shape", in_shape)
        self.hidden = _check_shape("hidden", hidden)
        self.style = check_choice("style", style, DISCRIMINATOR_STYLES)
        if dropout is None:
            dropout = 0.3 if style == "modern" else 0.5
        self.dropout = _check_dropout("dropout", dropout)
        self.maxout_pieces = check_int("maxout_pieces", maxout_pieces, minimum=1)
        self.in_features = math.prod(self.in_shape)

        layers: list[nn.Module] = []
        width = self.in_features
        if style == "2014":
            layers.append(nn.Dropout(0.2))  # the paper keeps 80% of the input pixels
        for h in self.hidden:
            if style == "2014":
                layers.append(Maxout(width, h, pieces=self.maxout_pieces))
            else:
                layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            layers.append(nn.Dropout(self.dropout))
            width = h
        layers.append(nn.Linear(width, 1))  # a logit: no sigmoid
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"x must be a tensor, got {type(x).__name__}")
        if x.dim() == 1 and self.in_features == 1:
            x = x.unsqueeze(1)  # (B,) -> (B, 1)
        if x.dim() < 2 or math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(f"x must have shape (B, *{self.in_shape}), got {tuple(x.shape)}")
        return self.net(x.flatten(1)).squeeze(1)  # (B, in_features) -> (B, 1) -> (B,)


def init_normal_(module: nn.Module, std: float = 0.02, generator: torch.Generator | None = None) -> nn.Module:
    """DCGAN initialisation (Radford et al. 2016), in place; returns ``module``.

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
