"""Where the course's networks are imported from.

The networks live in their own modules and are re-exported here, so that a
lesson writes ``models.MLPGenerator`` whatever module defines it:

* :mod:`gan_helpers.mlp`: :class:`~gan_helpers.mlp.MLPGenerator`,
  :class:`~gan_helpers.mlp.MLPDiscriminator` and their styles;
* :mod:`gan_helpers.layers`: :class:`~gan_helpers.layers.Maxout`,
  :class:`~gan_helpers.layers.VirtualBatchNorm`,
  :func:`~gan_helpers.layers.init_normal_`, :func:`~gan_helpers.layers.default_init_`,
  :func:`~gan_helpers.layers.initial_weights`;
* :mod:`gan_helpers.dcgan`: :class:`~gan_helpers.dcgan.DCGANGenerator`,
  :class:`~gan_helpers.dcgan.DCGANDiscriminator`;
* :mod:`gan_helpers.pacgan`: :class:`~gan_helpers.pacgan.Packed`, a D fed packs of samples.

Networks import no losses and no training code.
"""

from __future__ import annotations

from .dcgan import DCGANDiscriminator, DCGANGenerator
from .layers import Maxout, VirtualBatchNorm, default_init_, init_normal_, initial_weights
from .mlp import DISCRIMINATOR_STYLES, GENERATOR_STYLES, MLPDiscriminator, MLPGenerator
from .pacgan import Packed

__all__ = [
    "Maxout",
    "VirtualBatchNorm",
    "MLPGenerator",
    "MLPDiscriminator",
    "init_normal_",
    "default_init_",
    "initial_weights",
    "GENERATOR_STYLES",
    "DISCRIMINATOR_STYLES",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "Packed",
]
