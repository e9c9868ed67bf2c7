r"""Objectives: what D and G minimise, as one object the training loop takes.

An *objective* gives D's loss and G's loss from D's outputs on a real batch
and a fake batch. Where it needs more, it also sees D and the inputs (a
gradient penalty), acts after D's update (weight clipping), and names the
columns it adds to the training history. The loop
(:func:`gan_helpers.train.train`) stays the same for every GAN of the course;
a method swaps its objective in.

.. list-table::
   :header-rows: 1

   * - name
     - D's loss (minimised)
     - G's loss (minimised)
   * - ``minimax``
     - :math:`-\mathrm{mean}\log D(x) - \mathrm{mean}\log(1 - D(G(z)))`
     - :math:`\mathrm{mean}\log(1 - D(G(z)))`
   * - ``non_saturating``
     - the same
     - :math:`-\mathrm{mean}\log D(G(z))`
   * - ``hinge``
     - :math:`\mathrm{mean}\max(0, 1 - l(x)) + \mathrm{mean}\max(0, 1 + l(G(z)))`
     - :math:`-\mathrm{mean}\, l(G(z))`
   * - ``wgan``
     - :math:`\mathrm{mean} f(G(z)) - \mathrm{mean} f(x)`, then clip
     - :math:`-\mathrm{mean} f(G(z))`
   * - ``wgan-gp``
     - the same :math:`+\ \lambda\,\mathrm{GP}`
     - :math:`-\mathrm{mean} f(G(z))`

References: :cite:t:`goodfellow2014generative` (minimax, non-saturating),
:cite:t:`lim2017geometric` and :cite:t:`miyato2018spectral` (hinge),
:cite:t:`arjovsky2017wasserstein` (WGAN), :cite:t:`gulrajani2017improved`
(WGAN-GP). Every objective takes ``r1_gamma``: R1 :cite:p:`mescheder2018training`
adds :math:`\tfrac{\gamma}{2}\,\mathrm{mean}\|\nabla_x D(x)\|^2` on the reals to
D's loss, whatever the objective.

The loss functions themselves live in :mod:`gan_helpers.losses` (on logits)
and :mod:`gan_helpers.wgan` (critic losses, penalties); they take tensors, so
loops batched over seeds call the same functions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, ClassVar

import torch
from torch import nn

from . import losses, wgan
from .utils import check_choice, check_nonnegative, check_positive, check_unit_interval

__all__ = [
    "Objective",
    "Minimax",
    "NonSaturating",
    "Hinge",
    "WGAN",
    "WGANGP",
    "OBJECTIVES",
    "get",
    "check_real_label",
]


@dataclass(frozen=True)
class Objective:
    """The base of every objective; subclasses set ``name``, the two losses and ``columns``.

    * :meth:`d_loss` / :meth:`g_loss`: the losses, from D's raw outputs.
    * :meth:`d_stats`: what D's step logs besides ``loss_d`` (from the outputs);
      :meth:`d_logs` gives them as floats.
    * :meth:`penalties`: extra terms of D's loss that need D and its inputs,
      by name; each is added to the loss and logged under its name.
    * :meth:`after_d_step`: called after each update of D (weight clipping).
    * ``columns``: every name :meth:`d_logs` and :meth:`penalties` log; the
      loop checks at the first step that each of them was logged.
    """

    r1_gamma: float = 0.0

    name: ClassVar[str] = "objective"
    #: True when D's outputs are logits of a probability (the BCE family).
    probabilistic: ClassVar[bool] = False

    def __post_init__(self) -> None:
        check_nonnegative("r1_gamma", self.r1_gamma)

    # -- the losses ---------------------------------------------------------
    def d_loss(self, real_out: torch.Tensor, fake_out: torch.Tensor, real_label: float = 1.0) -> torch.Tensor:
        """D's loss from its outputs on a real and a fake batch."""
        raise NotImplementedError

    def g_loss(self, fake_out: torch.Tensor) -> torch.Tensor:
        """G's loss from D's outputs on a fake batch."""
        raise NotImplementedError

    # -- what else D's step needs and logs ----------------------------------
    def d_stats(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> dict[str, torch.Tensor]:
        """What D's step logs besides its loss, as 0-d tensors (so a loop batched over runs can vmap it).

        By default the mean outputs on reals and fakes: ``score_real``, ``score_fake``.
        """
        return {"score_real": real_out.mean(), "score_fake": fake_out.mean()}

    def d_logs(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> dict[str, float]:
        """:meth:`d_stats` as floats."""
        return {name: value.item() for name, value in self.d_stats(real_out.detach(), fake_out.detach()).items()}

    def penalties(
        self,
        D: Callable[..., torch.Tensor],
        x_real: torch.Tensor,
        x_fake: torch.Tensor,
        *args,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Weighted penalty terms of D's loss, by name (R1 when ``r1_gamma > 0``)."""
        if self.r1_gamma > 0:
            return {"r1": self.r1_gamma / 2 * wgan.r1_penalty(D, x_real, *args)}
        return {}

    def after_d_step(self, D: nn.Module) -> None:
        """Called after every update of D; nothing by default."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The history columns this objective adds, besides ``loss_d`` and ``loss_g``."""
        extra = ("r1",) if self.r1_gamma > 0 else ()
        return self._log_columns + extra

    _log_columns: ClassVar[tuple[str, ...]] = ("score_real", "score_fake")

    def spec(self) -> dict:
        """The objective as plain values (its name and options), for checkpoints and tables."""
        return {"name": self.name, **asdict(self)}


@dataclass(frozen=True)
class _BCE(Objective):
    """The losses of :cite:t:`goodfellow2014generative` on logits; D's outputs are probabilities."""

    probabilistic: ClassVar[bool] = True
    _log_columns: ClassVar[tuple[str, ...]] = ("d_real", "d_fake")

    def d_loss(self, real_out, fake_out, real_label: float = 1.0):
        return losses.d_loss(real_out, fake_out, real_label=real_label)

    def d_stats(self, real_out, fake_out):
        """D's mean probabilities that the reals (``d_real``) and the fakes (``d_fake``) are real."""
        return {"d_real": torch.sigmoid(real_out).mean(), "d_fake": torch.sigmoid(fake_out).mean()}


@dataclass(frozen=True)
class Minimax(_BCE):
    r"""The minimax game :cite:p:`goodfellow2014generative`: G minimises :math:`\mathrm{mean}\log(1 - D(G(z)))`."""

    name: ClassVar[str] = "minimax"

    def g_loss(self, fake_out):
        return losses.g_loss_minimax(fake_out)


@dataclass(frozen=True)
class NonSaturating(_BCE):
    r"""The non-saturating game :cite:p:`goodfellow2014generative`: G minimises :math:`-\mathrm{mean}\log D(G(z))`."""

    name: ClassVar[str] = "non_saturating"

    def g_loss(self, fake_out):
        return losses.g_loss_non_saturating(fake_out)


@dataclass(frozen=True)
class Hinge(Objective):
    """The hinge loss :cite:p:`lim2017geometric,miyato2018spectral` (see :func:`gan_helpers.losses.d_loss_hinge`)."""

    name: ClassVar[str] = "hinge"

    def d_loss(self, real_out, fake_out, real_label: float = 1.0):
        return losses.d_loss_hinge(real_out, fake_out)

    def g_loss(self, fake_out):
        return losses.g_loss_hinge(fake_out)


@dataclass(frozen=True)
class _Wasserstein(Objective):
    """Critic loss and G loss of WGAN; logs the critic's estimate of the distance."""

    _log_columns: ClassVar[tuple[str, ...]] = ("score_real", "score_fake", "wasserstein")

    def d_loss(self, real_out, fake_out, real_label: float = 1.0):
        return wgan.critic_loss(real_out, fake_out)

    def g_loss(self, fake_out):
        return wgan.g_loss_wasserstein(fake_out)

    def d_stats(self, real_out, fake_out):
        """Mean critic outputs, and their difference: the critic's estimate of W."""
        real, fake = real_out.mean(), fake_out.mean()
        return {"score_real": real, "score_fake": fake, "wasserstein": real - fake}


@dataclass(frozen=True)
class WGAN(_Wasserstein):
    """WGAN with weight clipping :cite:p:`arjovsky2017wasserstein`; ``clip`` = c (the paper's 0.01)."""

    clip: float = 0.01
    name: ClassVar[str] = "wgan"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("clip", self.clip)

    def after_d_step(self, D: nn.Module) -> None:
        wgan.clip_weights_(D, self.clip)


@dataclass(frozen=True)
class WGANGP(_Wasserstein):
    r"""WGAN-GP :cite:p:`gulrajani2017improved`: the critic loss plus ``gp_weight`` :math:`\lambda` (the paper's 10) times GP."""

    gp_weight: float = 10.0
    name: ClassVar[str] = "wgan-gp"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("gp_weight", self.gp_weight)

    @property
    def columns(self) -> tuple[str, ...]:
        return super().columns + ("gp",)

    def penalties(self, D, x_real, x_fake, *args, generator=None):
        terms = super().penalties(D, x_real, x_fake, *args, generator=generator)
        gp = wgan.gradient_penalty(D, x_real, x_fake, *args, generator=generator)
        return {**terms, "gp": self.gp_weight * gp}


#: Every objective by name.
OBJECTIVES: dict[str, type[Objective]] = {cls.name: cls for cls in (Minimax, NonSaturating, Hinge, WGAN, WGANGP)}


def get(objective: str | Objective, **options) -> Objective:
    """The objective called ``objective``, with ``options`` (e.g. ``clip=0.01``, ``r1_gamma=10``).

    An :class:`Objective` is returned as it is (``options`` must then be
    empty). An unknown name, or an option the objective does not take,
    raises ``ValueError`` listing the choices.
    """
    if isinstance(objective, Objective):
        if options:
            raise ValueError(f"options {sorted(options)} given with an Objective instance; set them on the instance")
        return objective
    if not isinstance(objective, str):
        raise ValueError(f"objective must be a name {tuple(OBJECTIVES)} or an Objective, got {objective!r}")
    cls = OBJECTIVES[check_choice("objective", objective, OBJECTIVES)]
    allowed = tuple(cls.__dataclass_fields__)
    for key in options:
        check_choice(f"option of objective {objective!r}", key, allowed)
    return cls(**options)


def check_real_label(objective: Objective, real_label: float) -> float:
    """``real_label`` if the objective can smooth labels; ``ValueError`` otherwise."""
    real_label = check_unit_interval("real_label", real_label)
    if real_label != 1.0 and not objective.probabilistic:
        raise ValueError(
            f"real_label={real_label} (label smoothing) needs a probabilistic objective "
            f"('minimax' or 'non_saturating'), not {objective.name!r}"
        )
    return real_label
