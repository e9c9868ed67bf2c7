r"""DCGAN :cite:p:`radford2016unsupervised` for 28x28 digits: convolutional G and D.

The paper's guidelines, as built here:

* no pooling: D halves the resolution with strided convolutions, G doubles it
  with upsampling (below);
* batch normalisation in G, and in D on every block but the first;
* ReLU in G with a tanh output, LeakyReLU(0.2) in D;
* weights drawn from N(0, 0.02) (:func:`gan_helpers.layers.init_normal_`).

G's upsampling comes in two kinds, ``upsample=``:

* ``"nearest"``: nearest-neighbour upsampling, then a 3x3 convolution with
  stride 1 and "same" padding. Every output pixel sees the same number of
  input pixels, so no checkerboard pattern is built into G.
* ``"transposed"``: a 4x4 transposed convolution with stride 2, the paper's
  choice. Its kernel overlaps itself unevenly, which can print a
  checkerboard on G's samples :cite:p:`odena2016deconvolution`.

Departures from the paper, for 28x28 digits on a CPU: the networks are
narrower (widths 128/64/32 rather than 1024/512/256/128), G starts from 7x7
(two doublings to 28x28, not four to 64x64), and D has dropout, which helps
on the 4,000 bundled digits.

D's normalisation is a choice, ``norm=``: ``"batch"`` (the paper's, the
default), ``"layer"`` or ``"none"``. A gradient penalty
:cite:p:`gulrajani2017improved` needs a critic whose output for one image
does not depend on the other images of its batch, which batch normalisation
breaks; that paper uses layer normalisation :cite:p:`ba2016layer` instead,
built here as ``GroupNorm`` with one group: each image's feature maps are
normalised over all their channels and positions, with a learned scale and
shift per channel.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .layers import init_normal_
from .utils import check_choice, check_int, check_unit_interval

__all__ = ["DCGANGenerator", "DCGANDiscriminator", "UPSAMPLING", "NORMS"]

UPSAMPLING = ("nearest", "transposed")
#: D's normalisation of its second block: batch, layer (one group of GroupNorm) or none.
NORMS = ("batch", "layer", "none")


def _check_widths(name: str, widths: Sequence[int], length: int | None = None) -> tuple[int, ...]:
    widths = tuple(widths) if isinstance(widths, (list, tuple)) else ()
    if not widths or (length is not None and len(widths) != length):
        need = f"{length} " if length else ""
        raise ValueError(f"{name} must be a sequence of {need}positive channel counts, got {widths!r}")
    return tuple(check_int(f"{name}[{i}]", w, minimum=1) for i, w in enumerate(widths))


def _up_block(c_in: int, c_out: int, upsample: str) -> list[nn.Module]:
    """(B, c_in, H, W) -> (B, c_out, 2H, 2W), then BatchNorm and ReLU."""
    if upsample == "nearest":
        up = [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, stride=1, padding=1, bias=False)]
    else:
        up = [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False)]
    return [*up, nn.BatchNorm2d(c_out), nn.ReLU()]


class DCGANGenerator(nn.Module):
    """z (B, latent_dim) -> images (B, 1, 28, 28) in [-1, 1].

    Linear -> reshape to (widths[0], 7, 7) -> BatchNorm -> ReLU, then two
    blocks that double the size (7 -> 14 -> 28) and go to ``widths[1]``,
    ``widths[2]`` channels, then a 3x3 convolution to one channel and tanh.
    ``generator`` draws the initial weights (N(0, 0.02)); None: torch's global RNG.
    """

    def __init__(
        self,
        latent_dim: int = 100,
        widths: Sequence[int] = (128, 64, 32),
        upsample: str = "nearest",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.widths = _check_widths("widths", widths, length=3)
        self.upsample = check_choice("upsample", upsample, UPSAMPLING)
        w0, w1, w2 = self.widths
        self.project = nn.Linear(self.latent_dim, w0 * 7 * 7, bias=False)  # BatchNorm follows: no bias
        self.net = nn.Sequential(
            nn.BatchNorm2d(w0),
            nn.ReLU(),
            *_up_block(w0, w1, self.upsample),  # (B, w1, 14, 14)
            *_up_block(w1, w2, self.upsample),  # (B, w2, 28, 28)
            nn.Conv2d(w2, 1, 3, stride=1, padding=1),  # (B, 1, 28, 28)
            nn.Tanh(),
        )
        init_normal_(self, generator=generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (B, latent_dim={self.latent_dim}), got {shape}")
        h = self.project(z).view(z.shape[0], self.widths[0], 7, 7)  # (B, w0, 7, 7)
        return self.net(h)  # (B, 1, 28, 28)


class DCGANDiscriminator(nn.Module):
    """Images (B, 1, 28, 28) -> one logit per image, (B,).

    Two 4x4 convolutions with stride 2 (28 -> 14 -> 7), each followed by
    LeakyReLU(0.2) and dropout, with BatchNorm on the second (not on the
    first, as the paper advises); then a linear layer to the logit.
    ``norm="layer"`` puts layer normalisation (``GroupNorm(1, widths[1])``)
    there instead, ``norm="none"`` nothing (the convolution then has a bias):
    a critic for a gradient penalty, whose outputs do not mix the batch.
    ``generator`` draws the initial weights (N(0, 0.02); normalisation
    scales N(1, 0.02)).
    """

    def __init__(
        self,
        widths: Sequence[int] = (64, 128),
        dropout: float = 0.3,
        generator: torch.Generator | None = None,
        norm: str = "batch",
    ):
        super().__init__()
        self.widths = _check_widths("widths", widths, length=2)
        self.dropout = check_unit_interval("dropout", dropout)
        self.norm = check_choice("norm", norm, NORMS)
        w0, w1 = self.widths
        normalise = {"batch": [nn.BatchNorm2d(w1)], "layer": [nn.GroupNorm(1, w1)], "none": []}[self.norm]
        self.net = nn.Sequential(
            nn.Conv2d(1, w0, 4, stride=2, padding=1),  # (B, w0, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Dropout(self.dropout),
            nn.Conv2d(w0, w1, 4, stride=2, padding=1, bias=self.norm == "none"),  # (B, w1, 7, 7)
            *normalise,
            nn.LeakyReLU(0.2),
            nn.Dropout(self.dropout),
            nn.Flatten(),  # (B, w1 * 49)
            nn.Linear(w1 * 7 * 7, 1),
        )
        init_normal_(self, generator=generator)
        if self.norm == "layer":  # init_normal_ knows BatchNorm's scales; GroupNorm's get the same draw
            nn.init.normal_(normalise[0].weight, 1.0, 0.02, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (B, 1, 28, 28), got {shape}")
        return self.net(x).squeeze(1)  # (B,)
