"""Helpers for the GAN course: every reusable line the lessons share.

Modules, one per concept: ``utils`` (seeding, device, argument checks),
``viz`` (function plots, animations, rate charts), ``stats`` (success rates
with Wilson intervals), ``point`` (the single-point GAN, single and
vectorised), ``losses`` (GAN losses on logits), ``models`` (MLP GANs, maxout,
virtual batch norm), ``train`` (the training loop and checkpoints), ``data``
(MNIST offline and online, toy distributions), ``metrics`` (an MNIST
classifier and the metrics built on it) and ``toy`` (distances and mode
coverage on toy data).
"""

from . import (
    callbacks,
    checkpoint,
    data,
    dcgan,
    ensemble,
    losses,
    metrics,
    models,
    objectives,
    pacgan,
    point,
    stats,
    steps,
    toy,
    train,
    utils,
    viz,
    wgan,
)
from .utils import get_device, seed_everything

__all__ = [
    "callbacks", "checkpoint", "data", "dcgan", "ensemble", "losses", "metrics", "models", "objectives", "pacgan", "point",
    "stats", "steps", "toy", "train", "utils", "viz", "wgan",
    "get_device", "seed_everything",
]
__version__ = "0.1.0"
