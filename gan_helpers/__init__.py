"""Helpers for the GAN course: every reusable line the lessons share.

Modules: ``utils`` (seeding, device, argument checks), ``viz`` (function
plots, animations), ``point`` (the single-point GAN, single and vectorised), ``stats``
(success rates with Wilson intervals).
"""

from . import point, stats, utils, viz
from .utils import get_device, seed_everything

__all__ = ["point", "stats", "utils", "viz", "get_device", "seed_everything"]
__version__ = "0.1.0"
