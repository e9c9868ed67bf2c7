"""Helpers for the GAN course: every reusable line the lessons share, one module per concept.

``gan_helpers/README.md`` (also the first page of the book's API reference)
says which module owns what, the direction imports run in, and the
conventions every module follows: randomness, devices, return types, named
defaults and errors.
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
    train_config,
    utils,
    viz,
    wgan,
)
from .utils import get_device, seed_everything

__all__ = [
    "callbacks",
    "checkpoint",
    "classifier",
    "data",
    "dcgan",
    "dirac",
    "ensemble",
    "layers",
    "losses",
    "metrics",
    "mlp",
    "mnist",
    "models",
    "objectives",
    "pacgan",
    "point",
    "point_analysis",
    "point_config",
    "point_engine",
    "point_sweep",
    "presets",
    "stats",
    "steps",
    "toy",
    "toys",
    "train",
    "train_config",
    "utils",
    "viz",
    "wgan",
    "get_device",
    "seed_everything",
]
__version__ = "0.1.0"
