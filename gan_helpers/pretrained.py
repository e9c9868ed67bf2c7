r"""Every weights file the course ships, with its checksum and the command that rebuilds it.

The files live in ``gan_helpers/weights/``. Each one is registered here as a
:class:`WeightsFile`: its sha256, the command of this project that rebuilds
it, and the settings it was trained with. Nothing is downloaded.

* ``"mnist-classifier"``: the small CNN behind the course's metrics
  (:mod:`gan_helpers.metrics`), rebuilt by ``make classifier``.
* ``"mlp-gan-mnist"``: the generator of lesson 4's modern fully connected GAN
  (:class:`gan_helpers.models.MLPGenerator`, style ``"modern"``), trained with
  the lesson's settings but for many more steps, rebuilt by ``make weights``
  (``tools/train_weights.py``).
* ``"dcgan-mnist"``: the DCGAN generator of lesson 5
  (:class:`gan_helpers.dcgan.DCGANGenerator`, the lesson's widths), trained
  with the lesson's settings for many more steps; the file holds the moving
  average of G's weights (``settings["ema_decay"]``,
  :class:`gan_helpers.callbacks.WeightAverage`). Rebuilt by ``make weights``
  too. Lessons 8 and 9 build on it.

:func:`load_generator` checks the file's sha256 against the registry before it
loads anything, and loads with ``torch.load(..., weights_only=True)`` (plain
tensors only, no pickled code). A file whose sha256 differs raises
:class:`ChecksumError`; a missing file ``FileNotFoundError``; both say which
command rebuilds it. Rebuilt on another machine or torch release, a file may
differ in its last bits: the command prints the new sha256 to put here.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import torch
from torch import nn

from .dcgan import DCGANDiscriminator, DCGANGenerator
from .mlp import MLPDiscriminator, MLPGenerator

__all__ = [
    "WEIGHTS_DIR",
    "WeightsFile",
    "NETWORKS",
    "REGISTRY",
    "ChecksumError",
    "names",
    "get",
    "file_sha256",
    "verify",
    "build_generator",
    "build_discriminator",
    "load_generator",
]

#: The folder of the shipped weights.
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class ChecksumError(RuntimeError):
    """A weights file whose sha256 is not the registered one (corrupted, or not the shipped file)."""


@dataclass(frozen=True)
class WeightsFile:
    """One shipped weights file.

    * ``name``: the key in :data:`REGISTRY`.
    * ``filename``: the file in :data:`WEIGHTS_DIR` (a ``state_dict`` saved with ``torch.save``).
    * ``kind``: ``"generator"`` or ``"classifier"``.
    * ``network``: the family of networks, a key of :data:`NETWORKS`
      (``"mlp"``, ``"dcgan"``; ``"cnn"`` for the classifier).
    * ``sha256``: the file's checksum.
    * ``command``: the project command that rebuilds the file.
    * ``architecture``: the constructor's keyword arguments (generators).
    * ``settings``: how it was trained (data, optimiser, steps, seed, ...).
    * ``description``: one line for readers.
    """

    name: str
    filename: str
    kind: str
    network: str
    sha256: str
    command: str
    architecture: Mapping[str, Any]
    settings: Mapping[str, Any]
    description: str

    @property
    def path(self) -> Path:
        """Where the shipped file lives."""
        return WEIGHTS_DIR / self.filename


#: The (generator, discriminator) classes of each family of generators shipped.
NETWORKS: Mapping[str, tuple[type[nn.Module], type[nn.Module]]] = MappingProxyType(
    {
        "mlp": (MLPGenerator, MLPDiscriminator),
        "dcgan": (DCGANGenerator, DCGANDiscriminator),
    }
)


def _frozen(d: dict) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


_ENTRIES = (
    WeightsFile(
        name="mnist-classifier",
        filename="mnist_classifier.pt",
        kind="classifier",
        network="cnn",
        sha256="e8e345f6c51da4b054c2dcd7607ba81fbb8554ea90495a4247f8bbd4d1d077a7",
        command="make classifier  (python tools/train_classifier.py)",
        architecture=_frozen({}),
        settings=_frozen(
            {
                "data": "load_mnist('bundled', 'train'): 4,000 digits; held-out accuracy >= 96% on the other 1,000",
                "augmentation": "shifts up to 2 pixels, rotations up to 10 degrees, scaling 0.9 to 1.1",
                "epochs": 20,
                "batch_size": 64,
                "optimizer": "adam",
                "lr": 2e-3,
                "schedule": "one-cycle",
                "seed": 0,
            }
        ),
        description="the small CNN behind the course's metrics (gan_helpers.metrics)",
    ),
    WeightsFile(
        name="mlp-gan-mnist",
        filename="mlp_gan_mnist.pt",
        kind="generator",
        network="mlp",
        sha256="843b698a9333fbd4db0d306a9e321123ae7f03aa038a60c3667edd1b16b32ecf",
        command="make weights  (python tools/train_weights.py mlp-gan-mnist)",
        architecture=_frozen({"latent_dim": 64, "hidden": (128, 256), "style": "modern"}),
        settings=_frozen(
            {
                "data": "load_mnist('bundled', 'train'): 4,000 digits",
                "discriminator": {"hidden": (256, 128), "style": "modern"},
                "num_steps": 10_000,
                "batch_size": 64,
                "lr_g": 1e-3,
                "lr_d": 1e-3,
                "betas": (0.5, 0.999),
                "optimizer": "adam",
                "d_steps": 1,
                "g_steps": 1,
                "seed": 0,
                "threads": 1,
            }
        ),
        description="lesson 4's modern MLP GAN, trained for 10 times the lesson's 1,000 steps",
    ),
    WeightsFile(
        name="dcgan-mnist",
        filename="dcgan_mnist.pt",
        kind="generator",
        network="dcgan",
        sha256="b8fc52b49da222425c0b33a4fd7eb252c5c452477dd799c12508b1e2140397fa",
        command="make weights  (python tools/train_weights.py dcgan-mnist)",
        architecture=_frozen({"latent_dim": 64, "widths": (64, 32, 16), "upsample": "nearest"}),
        settings=_frozen(
            {
                "data": "load_mnist('bundled', 'train'): 4,000 digits",
                "discriminator": {"widths": (32, 64), "dropout": 0.3},
                "num_steps": 6_000,
                "batch_size": 64,
                "lr_g": 2e-4,
                "lr_d": 2e-4,
                "betas": (0.5, 0.999),
                "optimizer": "adam",
                "d_steps": 1,
                "g_steps": 1,
                "seed": 0,
                "threads": 1,
                "ema_decay": 0.999,
            }
        ),
        description="lesson 5's DCGAN, trained for about 5 times the lesson's 1,250 steps",
    ),
)

#: Every shipped weights file, by name.
REGISTRY: Mapping[str, WeightsFile] = MappingProxyType({entry.name: entry for entry in _ENTRIES})


def names(kind: str | None = None) -> tuple[str, ...]:
    """The registered names, all of them or those of one ``kind`` (``"generator"``, ``"classifier"``)."""
    if kind is not None and kind not in {e.kind for e in REGISTRY.values()}:
        kinds = tuple(sorted({e.kind for e in REGISTRY.values()}))
        raise ValueError(f"kind must be one of {kinds} or None, got {kind!r}")
    return tuple(n for n, e in REGISTRY.items() if kind is None or e.kind == kind)


def get(name: str) -> WeightsFile:
    """The registry entry ``name``; ``ValueError`` listing the names for an unknown one."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(f"name must be one of the shipped weights {names()}, got {name!r}")
    return REGISTRY[name]


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of the file at ``path``, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(name: str, path: str | os.PathLike | None = None) -> Path:
    """Check that ``path`` (default: the shipped file of ``name``) has the registered sha256; return it.

    ``FileNotFoundError`` for a missing file, :class:`ChecksumError` for a
    file whose sha256 differs; both name the command that rebuilds it.
    """
    entry = get(name)
    path = entry.path if path is None else Path(path)
    rebuild = f"Restore it from the repository, or rebuild it with `{entry.command}` and register the sha256 it prints."
    if not path.is_file():
        raise FileNotFoundError(f"the weights of {name!r} are missing: no file {path}. {rebuild}")
    digest = file_sha256(path)
    if digest != entry.sha256:
        raise ChecksumError(
            f"the checksum of {path} does not match the registry's for {name!r}: "
            f"sha256 {digest}, expected {entry.sha256}. The file is corrupted or not the shipped one. {rebuild}"
        )
    return path


def _generator_entry(name: str) -> WeightsFile:
    if not isinstance(name, str) or name not in REGISTRY or REGISTRY[name].kind != "generator":
        raise ValueError(f"name must be one of the shipped generators {names('generator')}, got {name!r}")
    return REGISTRY[name]


def build_generator(name: str, generator: torch.Generator | None = None) -> nn.Module:
    """An untrained generator with the architecture registered for ``name``.

    ``generator`` draws its initial weights (None: torch's global RNG).
    """
    entry = _generator_entry(name)
    return NETWORKS[entry.network][0](**entry.architecture, generator=generator)


def build_discriminator(name: str, generator: torch.Generator | None = None) -> nn.Module:
    """An untrained discriminator of the kind ``name``'s generator was trained against (its ``settings``)."""
    entry = _generator_entry(name)
    return NETWORKS[entry.network][1](**entry.settings["discriminator"], generator=generator)


def load_generator(
    name: str, device: torch.device | str | None = None, path: str | os.PathLike | None = None
) -> nn.Module:
    """The shipped generator ``name``, checksum-verified, in eval mode, on ``device`` (default: the CPU).

    ``path`` loads a copy of the file from elsewhere (for example a Google
    Drive folder on Colab); it must have the registered sha256 too. The
    weights are loaded with ``torch.load(..., weights_only=True)``.
    Unknown names raise ``ValueError`` listing the generators.
    """
    _generator_entry(name)
    file = verify(name, path)
    device = torch.device("cpu") if device is None else torch.device(device)
    G = build_generator(name)
    G.load_state_dict(torch.load(file, map_location="cpu", weights_only=True))
    return G.to(device).eval()
