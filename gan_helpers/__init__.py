"""Helpers for the GAN course: every reusable line the lessons share.

Modules, one per concept: ``utils`` (seeding, devices, thread count, argument
checks), ``viz`` (function plots, animations, rate charts), ``stats`` (success
rates with Wilson intervals), ``point`` (the single-point GAN: networks and
the single-run loop; lessons import all of it from here), ``point_config``
(its options and random draws), ``point_engine`` (the batched arithmetic of
many runs), ``point_sweep`` (many runs at once), ``presets`` (lesson 2's named
settings), ``point_analysis`` (failure types, D's slope, hand-built D's),
``dirac`` (the Dirac-GAN), ``losses`` (GAN losses on logits), ``wgan``
(Wasserstein losses and penalties), ``objectives`` (the objectives the loop
trains with), ``layers`` (maxout, virtual batch norm, initialisations),
``mlp`` (MLP GANs), ``dcgan`` (convolutional GANs), ``pacgan`` (packed
discriminators), ``ensemble`` (toy GANs batched over seeds), ``models`` (where networks
are imported from), ``steps``, ``callbacks``, ``checkpoint`` and ``train``
(the training loop), ``mnist`` (MNIST offline and online), ``toys`` (toy
distributions), ``data`` (both), ``classifier`` (the MNIST classifier),
``metrics`` (the metrics built on it) and ``toy`` (distances and mode coverage
on toy data).

Imports run one way: ``utils`` imports nothing of the package;
``point_config`` <- ``point_engine`` <- ``point_sweep`` <- ``point_analysis``
<- ``point`` (with ``presets`` and ``dirac``); ``layers`` <- ``mlp`` <-
``models``; ``mnist``, ``toys`` <- ``data``; ``classifier`` <- ``metrics``.
Networks and metrics never import losses, objectives or the training loop.
"""

from . import (
    callbacks,
    checkpoint,
    classifier,
    data,
    dcgan,
    dirac,
    ensemble,
    layers,
    losses,
    metrics,
    mlp,
    mnist,
    models,
    objectives,
    pacgan,
    point,
    point_analysis,
    point_config,
    point_engine,
    point_sweep,
    presets,
    stats,
    steps,
    toy,
    toys,
    train,
    utils,
    viz,
    wgan,
)
from .utils import get_device, seed_everything

__all__ = [
    "callbacks", "checkpoint", "data", "dcgan", "ensemble", "losses", "metrics", "models", "objectives", "pacgan", "point",
    "stats", "steps", "toy", "train", "utils", "viz", "wgan",
    "classifier", "dirac", "layers", "mlp", "mnist", "point_analysis", "point_config", "point_engine",
    "point_sweep", "presets", "toys",
    "get_device", "seed_everything",
]
__version__ = "0.1.0"
