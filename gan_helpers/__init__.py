"""Helpers for the GAN course: every reusable line the lessons share.

Modules: ``utils`` (seeding, device, argument checks), ``viz`` (function
plots, animations), ``point`` (the single-point GAN, single and vectorised).
"""

from . import point, utils, viz
from .utils import get_device, seed_everything

__all__ = ["point", "utils", "viz", "get_device", "seed_everything"]
__version__ = "0.1.0"
