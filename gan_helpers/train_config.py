r"""The options of the training loop: :class:`TrainConfig`, and the optimisers it names.

Every option of :func:`gan_helpers.train.train` lives in one frozen
dataclass that checks itself when it is made, so a bad value fails at once,
naming the field, not a thousand steps into a run. The loop batched over
seeds (:mod:`gan_helpers.ensemble`) takes the same config.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from . import objectives as _objectives
from .objectives import Objective
from .utils import check_betas, check_choice, check_finite, check_int, check_positive

__all__ = ["TrainConfig", "ADAM_BETAS", "SGD_MOMENTUM", "OPTIMIZERS", "make_optimizer", "check_data", "data_classes"]

#: Adam's betas for the course's GANs: beta1 = 0.5 instead of PyTorch's 0.9,
#: as :cite:t:`radford2016unsupervised` found 0.9 made training oscillate.
ADAM_BETAS = (0.5, 0.999)
#: "sgd" is SGD with this momentum by default: the MNIST model of
#: :cite:t:`goodfellow2014generative` started its momentum at 0.5 (rising to
#: 0.7, which the course omits).
SGD_MOMENTUM = 0.5
#: The optimisers :class:`TrainConfig` knows. "rmsprop" is the WGAN paper's
#: :cite:p:`arjovsky2017wasserstein` (learning rate 5e-5 there).
OPTIMIZERS = ("adam", "sgd", "rmsprop")


@dataclass(frozen=True)
class TrainConfig:
    """Every option of :func:`~gan_helpers.train.train`. Invalid values raise ``ValueError`` naming the field.

    * ``num_steps``: training steps (each: ``d_steps`` D updates, then ``g_steps`` G updates).
    * ``batch_size``: examples per real batch and per batch of z.
    * ``objective``: a name of :data:`gan_helpers.objectives.OBJECTIVES` or an
      :class:`~gan_helpers.objectives.Objective` with its options
      (``objectives.get("wgan-gp", gp_weight=10)``); stored as the object.
    * ``lr_g``, ``lr_d``: learning rates.
    * ``optimizer``: ``"adam"`` (with ``betas``, default :data:`ADAM_BETAS`),
      ``"sgd"`` (with ``momentum``, default :data:`SGD_MOMENTUM`) or ``"rmsprop"``.
    * ``real_label``: D's target for reals; < 1 is one-sided label smoothing
      (BCE objectives only).
    * ``detach``: False reproduces the missing ``.detach()`` (see :func:`~gan_helpers.steps.d_step`).
    * ``log_every``: keep a history row every this many steps.
    * ``checkpoint_every``: with ``train(..., checkpoint=path)``, also save every
      this many steps (0: only at the end).
    * ``seed``: seeds the generator of real batches, z and the objective's draws.
    * ``reuse_fakes``: G's update uses the fakes of the step's last D update
      (made before D's update) instead of fresh z, as the pytorch/examples
      DCGAN does: one forward pass of G less per step, and other numbers than
      the default. Needs ``g_steps == 1`` and ``detach=True``.
    """

    num_steps: int = 1000
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = ADAM_BETAS
    d_steps: int = 1
    g_steps: int = 1
    objective: str | Objective = "non_saturating"
    real_label: float = 1.0
    detach: bool = True
    log_every: int = 1
    checkpoint_every: int = 0
    seed: int = 0
    optimizer: str = "adam"
    momentum: float = SGD_MOMENTUM
    reuse_fakes: bool = False

    def __post_init__(self) -> None:
        check_int("num_steps", self.num_steps, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_positive("lr_g", self.lr_g)
        check_positive("lr_d", self.lr_d)
        object.__setattr__(self, "betas", check_betas("betas", self.betas))
        check_int("d_steps", self.d_steps, minimum=1)
        check_int("g_steps", self.g_steps, minimum=1)
        object.__setattr__(self, "objective", _objectives.get(self.objective))
        _objectives.check_real_label(self.objective, self.real_label)
        if not isinstance(self.detach, bool):
            raise ValueError(f"detach must be True or False, got {self.detach!r}")
        check_int("log_every", self.log_every, minimum=1)
        check_int("checkpoint_every", self.checkpoint_every, minimum=0)
        check_int("seed", self.seed, minimum=0)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        momentum = check_finite("momentum", self.momentum)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if not isinstance(self.reuse_fakes, bool):
            raise ValueError(f"reuse_fakes must be True or False, got {self.reuse_fakes!r}")
        if self.reuse_fakes and (self.g_steps != 1 or not self.detach):
            raise ValueError(
                f"reuse_fakes=True needs g_steps=1 and detach=True, got g_steps={self.g_steps}, detach={self.detach}"
            )

    def to_dict(self) -> dict:
        """The config as plain values (the objective as its name and options)."""
        out = {k: v for k, v in asdict(self).items() if k != "objective"}
        return {**out, "betas": list(self.betas), "objective": self.objective.spec()}


def make_optimizer(model: nn.Module, lr: float, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimiser ``config`` asks for: Adam(lr, betas), SGD(lr, momentum) or RMSprop(lr).

    ``foreach=True`` updates all parameters with a few batched operations
    instead of a Python loop over them: the same numbers (tested), and less
    time per step for small MLPs on a CPU (torch uses it by default only on CUDA).
    """
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=config.momentum, foreach=True)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(model.parameters(), lr=lr, foreach=True)
    return torch.optim.Adam(model.parameters(), lr=lr, betas=config.betas, foreach=True)


def check_data(data) -> None:
    """``ValueError`` unless ``data`` is what :func:`~gan_helpers.train.train` trains on.

    A float tensor ``(N, ...)``, a pair ``(x, y)`` with integer labels ``(N,)``, or a
    sampler ``data(batch_size, generator)``.
    """
    if isinstance(data, tuple):
        if len(data) != 2 or not all(isinstance(t, torch.Tensor) for t in data):
            raise ValueError("labelled data must be a pair (x, y) of tensors")
        x, y = data
        check_data(x)
        if y.dim() != 1 or len(y) != len(x) or y.is_floating_point():
            raise ValueError(f"labels y must be an integer tensor ({len(x)},), got {tuple(y.shape)} of {y.dtype}")
    elif isinstance(data, torch.Tensor):
        if data.dim() == 0 or data.shape[0] == 0:
            raise ValueError(f"data must be a tensor (N, ...) with N >= 1, got shape {tuple(data.shape)}")
        if not data.is_floating_point():
            raise ValueError(f"data must be a floating-point tensor (scaled like G's outputs), got dtype {data.dtype}")
    elif not callable(data):
        raise ValueError(
            f"data must be a tensor (N, ...), a pair (x, y) or a sampler data(batch_size, generator), got {data!r}"
        )


def data_classes(G: nn.Module, D: nn.Module, labelled: bool) -> int | None:
    """G's number of classes when the run is class-conditional; ``ValueError`` when data and nets disagree."""
    g_classes, d_classes = getattr(G, "num_classes", None), getattr(D, "num_classes", None)
    if labelled and g_classes is None:
        raise ValueError(
            "data has class labels (x, y) but G is unconditional (no num_classes): pass x alone, or a conditional G"
        )
    if not labelled and g_classes is not None:
        raise ValueError(f"G is class-conditional (num_classes={g_classes}) but data has no labels: pass data=(x, y)")
    if g_classes != d_classes:
        raise ValueError(
            f"G and D must both be conditional on the same classes, got num_classes {g_classes} and {d_classes}"
        )
    return None if g_classes is None else check_int("G.num_classes", g_classes, minimum=1)
