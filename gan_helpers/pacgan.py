r"""Packing :cite:p:`lin2018pacgan`: D judges m samples at once, all real or all fake.

A collapsed G makes batches whose samples look alike; one sample at a time,
D cannot see that, but m samples side by side it can. PacGAN changes only
D's input: :class:`Packed` groups a batch of B samples into B/m packs of m,
concatenated along the first feature axis, and hands them to an ordinary D
built for m times the features (``MLPDiscriminator((2 * m,), ...)`` for 2-D
points, m input channels for images). The losses and the training loop stay
as they are: D returns one output per pack, and every loss is a mean.
"""

from __future__ import annotations

import torch
from torch import nn

from .utils import check_int

__all__ = ["Packed"]


class Packed(nn.Module):
    """``D`` fed packs of ``packing`` samples: x (B, F, ...) -> D(x as (B/m, m*F, ...)) -> (B/m,).

    ``packing = 1`` is ``D`` itself. The batch size must be a multiple of
    ``packing``: each pack holds consecutive samples, which the training loop
    draws independently, so a pack is m independent samples as in the paper.
    """

    def __init__(self, D: nn.Module, packing: int):
        super().__init__()
        self.D = D
        self.packing = check_int("packing", packing, minimum=1)

    def forward(self, x: torch.Tensor, *args) -> torch.Tensor:
        if args:
            raise ValueError("Packed does not take class labels: PacGAN packs unconditional samples")
        if x.dim() < 2 or x.shape[0] % self.packing:
            raise ValueError(
                f"the batch size must be a multiple of packing={self.packing}, got x of shape {tuple(x.shape)}"
            )
        m = self.packing
        packs = x.reshape(
            x.shape[0] // m, m * x.shape[1], *x.shape[2:]
        )  # (B/m, m*F, ...): sample j of a pack at [j*F:(j+1)*F]
        return self.D(packs)  # (B/m,)
