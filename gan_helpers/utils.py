"""Seeding, devices and argument checks shared by every module.

This module imports nothing else from ``gan_helpers``.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
from typing import Iterable, Iterator

import numpy as np
import torch

__all__ = [
    "seed_everything",
    "get_device",
    "device_of",
    "torch_threads",
    "check_positive",
    "check_nonnegative",
    "check_finite",
    "check_int",
    "check_choice",
    "check_unit_interval",
    "check_betas",
]


def seed_everything(seed: int) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every CUDA device).

    Returns the seed, so a notebook can write ``seed = seed_everything(0)``.
    """
    seed = check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    os.environ["PYTHONHASHSEED"] = str(seed)
    return seed


def get_device(prefer: str | None = None) -> torch.device:
    """The device to train on: CUDA if present, then Apple's MPS, then the CPU.

    ``prefer`` ("cpu", "cuda", "mps") forces a choice; asking for a device that
    is not there raises ``ValueError`` saying which devices are.
    """
    available = ["cpu"]
    if torch.cuda.is_available():
        available.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        available.insert(1 if "cuda" in available else 0, "mps")
    if prefer is None:
        return torch.device(available[0])
    if prefer not in ("cpu", "cuda", "mps"):
        raise ValueError(f"prefer must be one of 'cpu', 'cuda', 'mps' or None, got {prefer!r}")
    if prefer not in available:
        raise ValueError(f"device {prefer!r} is not available here; available: {available}")
    return torch.device(prefer)


def device_of(module: torch.nn.Module) -> torch.device:
    """The device ``module`` lives on: that of its first parameter, else of its first buffer, else the CPU.

    The one way the package reads a device from a network, so that functions
    follow their inputs instead of taking a ``device`` argument.
    """
    if not isinstance(module, torch.nn.Module):
        raise ValueError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device("cpu")


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` CPU threads in torch, then restore torch's setting.

    For loops over tiny tensors (the single-point GAN), one thread is fastest:
    a second one only adds synchronisation, and on a busy 2-core machine makes
    a step many times slower. ``None`` leaves torch's setting alone.
    """
    if threads is None:
        yield
        return
    threads = check_int("threads", threads, minimum=1)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_finite(name: str, value: float) -> float:
    """``value`` as a float, or ``ValueError`` if it is not a finite number."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return out


def check_positive(name: str, value: float) -> float:
    """``value`` as a float, or ``ValueError`` unless it is finite and > 0."""
    out = check_finite(name, value)
    if out <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return out


def check_nonnegative(name: str, value: float) -> float:
    """``value`` as a float, or ``ValueError`` unless it is finite and >= 0."""
    out = check_finite(name, value)
    if out < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return out


def check_unit_interval(name: str, value: float) -> float:
    """``value`` as a float, or ``ValueError`` unless 0 <= value <= 1."""
    out = check_finite(name, value)
    if not 0.0 <= out <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return out


def check_int(name: str, value: int, minimum: int | None = None) -> int:
    """``value`` as an int, or ``ValueError`` unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return out


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    """``value``, or ``ValueError`` listing ``choices`` if it is not one of them."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_betas(name: str, betas) -> tuple[float, float]:
    """Adam's ``(beta1, beta2)`` as floats, or ``ValueError`` unless both lie in [0, 1)."""
    if isinstance(betas, (str, bytes)) or len(tuple(betas)) != 2:
        raise ValueError(f"{name} must be a pair (beta1, beta2) in [0, 1), got {betas!r}")
    out = []
    for i, beta in enumerate(betas):
        beta = check_finite(f"{name}[{i}]", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{name}[{i}] must be in [0, 1), got {beta!r}")
        out.append(beta)
    return out[0], out[1]
