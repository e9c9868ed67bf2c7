"""Checkpoints that let a run stop and continue exactly where it was.

A checkpoint holds everything needed to continue a run *exactly*: both
models' and optimisers' states, the state of the run's ``torch.Generator``,
torch's global RNG state (and CUDA's, when CUDA is in use), the step, the
history and the config. Files are written atomically and hold only tensors
and plain Python values, so they load with ``torch.load(path,
weights_only=True)``: loading runs no code from the file. A damaged file (cut
short, bytes changed: ``torch.save`` writes a zip archive whose records carry
CRC-32 checksums, which :func:`load_checkpoint` verifies) or a file of another
kind is refused with a ``ValueError`` that names the file and the problem.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile

import torch
from torch import nn

from .utils import check_int

__all__ = ["architecture_signature", "save_checkpoint", "load_checkpoint"]


def architecture_signature(G: nn.Module, D: nn.Module) -> dict:
    """Class name and the name and shape of every parameter and buffer of G and D."""
    return {
        name: {"class": type(net).__name__, "shapes": {k: list(v.shape) for k, v in net.state_dict().items()}}
        for name, net in (("G", G), ("D", D))
    }


def _check_architecture(saved: dict, G: nn.Module, D: nn.Module) -> None:
    """``ValueError`` naming the first difference between ``saved`` and G, D's signature."""
    here = architecture_signature(G, D)
    for net in ("G", "D"):
        old, new = saved[net], here[net]
        if old["class"] != new["class"]:
            raise ValueError(f"checkpoint's {net} is a {old['class']}, this {net} is a {new['class']}")
        problems = []
        for name, shape in old["shapes"].items():
            if name not in new["shapes"]:
                problems.append(f"checkpoint's {net} has {name!r} (shape {tuple(shape)}), which this {net} lacks")
            elif list(new["shapes"][name]) != list(shape):
                problems.append(
                    f"{net}'s {name!r} has shape {tuple(shape)} in the checkpoint but {tuple(new['shapes'][name])} here"
                )
        problems += [
            f"this {net} has {name!r}, which the checkpoint's {net} lacks"
            for name in new["shapes"]
            if name not in old["shapes"]
        ]
        if problems:
            more = f" ({len(problems) - 1} more differences: another {net} architecture)" if len(problems) > 1 else ""
            raise ValueError(problems[0] + more)


def _check_optimizer(name: str, saved: dict, opt: torch.optim.Optimizer) -> None:
    sizes_saved = [len(g["params"]) for g in saved["param_groups"]]
    sizes_here = [len(g["params"]) for g in opt.param_groups]
    if sizes_saved != sizes_here:
        raise ValueError(
            f"{name} does not match the checkpoint: parameter groups of sizes {sizes_here} here, {sizes_saved} saved"
        )


def save_checkpoint(
    path: str | os.PathLike,
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    step: int,
    history: dict[str, list],
    rng_state: torch.Tensor,
    config: dict | None = None,
) -> None:
    """Save a run's state to ``path``, atomically.

    ``rng_state`` is ``generator.get_state()`` of the run's data/latent
    generator; torch's global RNG state (and CUDA's, when CUDA has been
    initialised) is added here. ``history`` is a dict of lists. The file is
    written to a temporary file in the same folder, then moved over ``path``
    with ``os.replace``: a crash mid-write leaves the old checkpoint intact.
    It holds only tensors and plain Python values, so it loads with
    ``torch.load(path, weights_only=True)``.
    """
    payload = {
        "step": check_int("step", step, minimum=0),
        "G": G.state_dict(),
        "D": D.state_dict(),
        "opt_g": opt_g.state_dict(),
        "opt_d": opt_d.state_dict(),
        "rng_state": rng_state,
        "torch_rng_state": torch.get_rng_state(),
        "cuda_rng_state": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None,
        "history": {k: list(v) for k, v in history.items()},
        "architecture": architecture_signature(G, D),
        "config": config,
    }
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):  # only when something above failed
            os.remove(tmp)


def _read(path: str | os.PathLike) -> dict:
    """The dict saved in ``path``; ``ValueError`` naming the file when it is damaged or not a checkpoint."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()  # the first record whose CRC-32 does not match, or None
    except zipfile.BadZipFile as err:
        raise ValueError(
            f"{path!r} is not a checkpoint: not the zip archive torch.save writes "
            f"(cut short while copying, or another kind of file)"
        ) from err
    if damaged is not None:
        raise ValueError(
            f"{path!r} is damaged: its record {damaged!r} fails its CRC-32 check "
            f"(bytes changed since it was written); use another copy"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{path!r} is not a training checkpoint: it holds Python objects other than tensors and "
            f"plain values (a whole pickled model?), which loading with weights_only=True refuses"
        ) from err
    except (RuntimeError, EOFError, KeyError, ValueError, OSError) as err:
        first_line = (str(err).strip().splitlines() or [""])[0]
        raise ValueError(
            f"{path!r} is not a training checkpoint torch.load can read ({type(err).__name__}: {first_line})"
        ) from err
    if not isinstance(state, dict):
        raise ValueError(f"{path!r} is not a training checkpoint: it holds a {type(state).__name__}, not a dict")
    return state


def load_checkpoint(
    path: str | os.PathLike,
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer | None = None,
    opt_d: torch.optim.Optimizer | None = None,
) -> dict:
    """Load a checkpoint into G, D (and the optimisers, if given); return the rest.

    Loads with ``weights_only=True`` (no arbitrary code runs). Everything is
    checked before anything is loaded, and a failed check leaves G, D and the
    optimisers untouched: a damaged file, or one that is not a training
    checkpoint, raises ``ValueError`` naming the file and the problem; a
    checkpoint of another architecture raises ``ValueError`` naming the first
    parameter (or buffer) whose name or shape differs; a missing file raises
    ``FileNotFoundError``.

    Returns the checkpoint's dict: ``step``, ``history``, ``rng_state``,
    ``torch_rng_state``, ``cuda_rng_state``, ``config`` (and the state dicts).
    RNG states are returned, not applied: :func:`~gan_helpers.train.train` applies them.
    """
    state = _read(path)
    missing = {"step", "G", "D", "opt_g", "opt_d", "rng_state", "history", "architecture"} - set(state)
    if missing:
        raise ValueError(f"{os.fspath(path)!r} is not a training checkpoint: it lacks {sorted(missing)}")
    _check_architecture(state["architecture"], G, D)
    if opt_g is not None:
        _check_optimizer("opt_g", state["opt_g"], opt_g)
    if opt_d is not None:
        _check_optimizer("opt_d", state["opt_d"], opt_d)
    G.load_state_dict(state["G"])
    D.load_state_dict(state["D"])
    if opt_g is not None:
        opt_g.load_state_dict(state["opt_g"])
    if opt_d is not None:
        opt_d.load_state_dict(state["opt_d"])
    return state
