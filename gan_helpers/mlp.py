r"""Fully connected GANs for 28x28 MNIST and for small 1-D and 2-D toys.

Two styles of each network:

``style="2014"``, after :cite:t:`goodfellow2014generative`, as released in their MNIST configuration (``mnist.yaml`` in
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

``style="modern"``, the usual recipe since DCGAN :cite:p:`radford2016unsupervised`:

* G: Linear -> BatchNorm1d -> LeakyReLU(0.2) per hidden layer, tanh output.
* D: Linear -> LeakyReLU(0.2) -> Dropout(0.3) per hidden layer, linear output.

``style="modern-vbn"`` (G only) replaces BatchNorm1d by
:class:`~gan_helpers.layers.VirtualBatchNorm` :cite:p:`salimans2016improved`, so that G's output for one
z does not depend on the other z's of its batch.

Every D returns one **logit** per example, shape ``(B,)``: the losses in
:mod:`gan_helpers.losses` take logits. Both constructors take
``generator`` (a ``torch.Generator`` or None): their initial weights are drawn
from it, as PyTorch draws them by default (:func:`~gan_helpers.layers.default_init_`);
None draws them from torch's global RNG (lessons seed it with
``seed_everything``). The layers are in :mod:`gan_helpers.layers`.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .layers import Maxout, VirtualBatchNorm, default_init_, initial_weights
from .utils import check_choice, check_int, check_nonnegative

__all__ = ["MLPGenerator", "MLPDiscriminator", "GENERATOR_STYLES", "DISCRIMINATOR_STYLES"]

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


class MLPGenerator(nn.Module):
    """Fully connected G: ``z`` (B, latent_dim) -> ``x`` ``(B, *out_shape)`` in [-1, 1].

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

    ``generator``: a ``torch.Generator`` the initial weights are drawn from
    (as PyTorch's default initialisation draws them), or None for torch's
    global RNG.
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
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.output = check_choice("output", output, ("tanh", "linear"))
        self.out_shape = _check_shape("out_shape", out_shape)
        self.hidden = _check_shape("hidden", hidden)
        self.style = check_choice("style", style, GENERATOR_STYLES)

        with initial_weights(generator):
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
        default_init_(self.net, generator)

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
    """Fully connected D: ``x`` ``(B, *in_shape)`` -> one logit per example, (B,).

    ``in_shape`` is ``(1, 28, 28)`` for MNIST, ``(2,)`` or ``(1,)`` for toys
    (inputs are flattened; for ``(1,)`` a batch of shape ``(B,)`` is
    accepted too). ``style``: ``"modern"`` (Linear -> LeakyReLU(0.2) ->
    Dropout) or ``"2014"`` (Dropout(0.2) on the input, then Maxout with
    ``maxout_pieces`` pieces -> Dropout per hidden layer); see the module
    docstring. ``dropout`` is the hidden layers' dropout rate; ``None``
    means the style's own (0.3 for modern, 0.5 for 2014). ``generator``: a
    ``torch.Generator`` the initial weights are drawn from (as PyTorch's
    default initialisation draws them), or None for torch's global RNG.
    """

    def __init__(
        self,
        in_shape: Sequence[int] = (1, 28, 28),
        hidden: Sequence[int] = (512, 256),
        style: str = "modern",
        dropout: float | None = None,
        maxout_pieces: int = 5,
        generator: torch.Generator | None = None,
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

        with initial_weights(generator):
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
        default_init_(self.net, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"x must be a tensor, got {type(x).__name__}")
        if x.dim() == 1 and self.in_features == 1:
            x = x.unsqueeze(1)  # (B,) -> (B, 1)
        if x.dim() < 2 or math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(f"x must have shape (B, *{self.in_shape}), got {tuple(x.shape)}")
        return self.net(x.flatten(1)).squeeze(1)  # (B, in_features) -> (B, 1) -> (B,)
