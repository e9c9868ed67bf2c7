"""Imported once by mutmut's fork server ([tool.mutmut] in pyproject.toml) before it forks a test
run per mutant: each run then starts with torch, pandas and SciPy imported and the bundled MNIST
digits read, instead of spending most of its time on both. Not a test module."""

import numpy  # noqa: F401
import pandas  # noqa: F401
import pytest  # noqa: F401
import scipy.linalg  # noqa: F401
import scipy.stats  # noqa: F401
import torch

import gan_helpers  # noqa: F401
from gan_helpers.data import load_mnist

torch.set_num_threads(1)  # the forked runs then never inherit a busy thread pool
for split in ("train", "heldout"):
    load_mnist("bundled", split)
