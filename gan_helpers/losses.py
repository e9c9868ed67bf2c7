r"""The GAN losses of :cite:t:`goodfellow2014generative`, written on logits.

D outputs a logit :math:`l(x)`; its probability that ``x`` is real is
:math:`D(x) = \sigma(l(x))`. Every loss here takes logits and goes through
``F.binary_cross_entropy_with_logits``,

.. math::  \mathrm{BCE}(l, y) = -\big[y \log\sigma(l) + (1 - y)\log(1 - \sigma(l))\big],

which PyTorch computes without forming :math:`\sigma(l)` (stable where
:math:`\sigma(l)` rounds to 0 or 1). The sigmoid appears only where a
probability is shown to a reader.

* :func:`d_loss`, D's loss (to be minimised):
  :math:`-\mathbb{E}_x[\log D(x)] - \mathbb{E}_z[\log(1 - D(G(z)))]`.
* :func:`g_loss_minimax`, G's loss in the minimax game (saturating):
  :math:`\mathbb{E}_z[\log(1 - D(G(z)))]`.
* :func:`g_loss_non_saturating`, the loss the paper recommends in practice:
  :math:`-\mathbb{E}_z[\log D(G(z))]`.
* :func:`d_loss_hinge`, :func:`g_loss_hinge`, the hinge loss of
  :cite:t:`lim2017geometric` and :cite:t:`miyato2018spectral`, also on D's raw
  outputs.

Why the second G loss: early in training D rejects G's samples with
confidence, :math:`l \ll 0`. The minimax loss then has gradient
:math:`-\sigma(l) \approx 0` with respect to the logit (it *saturates*),
while the non-saturating loss has gradient :math:`\sigma(l) - 1 \approx -1`.
Both push :math:`l` up; only the second does so with force.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .utils import check_choice, check_unit_interval

__all__ = [
    "d_loss",
    "g_loss_minimax",
    "g_loss_non_saturating",
    "d_loss_hinge",
    "g_loss_hinge",
    "G_LOSSES",
    "get_g_loss",
]


def _check_logits(name: str, logits: torch.Tensor) -> None:
    """``ValueError`` unless ``logits`` is a non-empty floating-point tensor."""
    if not isinstance(logits, torch.Tensor):
        raise ValueError(f"{name} must be a tensor of logits, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor of logits, got dtype {logits.dtype}")
    if logits.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(logits.shape)}")


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    """Mean BCE of ``logits`` against the constant target ``label``."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def d_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    real_label: float = 1.0,
    fake_label: float = 0.0,
) -> torch.Tensor:
    r"""D's loss: mean BCE on the reals plus mean BCE on the fakes (a scalar).

    .. math::
        L_D = \underbrace{\mathrm{mean}_i\,\mathrm{BCE}(l(x_i), y_r)}_{\text{reals}}
            + \underbrace{\mathrm{mean}_j\,\mathrm{BCE}(l(G(z_j)), y_f)}_{\text{fakes}}

    With :math:`y_r = 1, y_f = 0` this is
    :math:`-\mathrm{mean}\log D(x) - \mathrm{mean}\log(1 - D(G(z)))`, the
    negative of the value function of :cite:t:`goodfellow2014generative`. Its minimum
    over D, for fixed G, is at :math:`D^*(x) = p_\text{data}/(p_\text{data} + p_g)`.

    ``real_label < 1`` is *one-sided label smoothing* (:cite:t:`salimans2016improved`,
    "Improved techniques for training GANs", section 3.4): the target for
    reals becomes e.g. 0.9, which stops D from growing over-confident logits
    on real data. Only the reals are smoothed: the paper shows that a
    positive target on fakes (``fake_label > 0``) rewards D for giving
    G's samples some probability where there is no data, so leave
    ``fake_label = 0`` unless you are demonstrating that.

    Both halves are means, so the two batches may have different sizes.
    """
    _check_logits("real_logits", real_logits)
    _check_logits("fake_logits", fake_logits)
    real_label = check_unit_interval("real_label", real_label)
    fake_label = check_unit_interval("fake_label", fake_label)
    return _bce(real_logits, real_label) + _bce(fake_logits, fake_label)


def g_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""G's saturating loss of the minimax game, :math:`\mathrm{mean}\,\log(1 - D(G(z)))`.

    G *minimises* this (it is D's loss on fakes, negated), so

    .. math::  L_G^\text{minimax} = \mathrm{mean}_j \log\big(1 - \sigma(l_j)\big)
               = -\,\mathrm{mean}_j\,\mathrm{BCE}(l_j, 0).

    It is always <= 0 and its gradient vanishes when D confidently rejects
    the fakes (:math:`l_j \ll 0`): see the module docstring.
    """
    _check_logits("fake_logits", fake_logits)
    return -_bce(fake_logits, 0.0)


def g_loss_non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""G's non-saturating loss, :math:`-\mathrm{mean}\,\log D(G(z))`.

    .. math::  L_G^\text{NS} = -\,\mathrm{mean}_j \log \sigma(l_j) = \mathrm{mean}_j\,\mathrm{BCE}(l_j, 1).

    :cite:t:`goodfellow2014generative`, section 3: same fixed point as the minimax
    loss, much stronger gradients early in training. It is always >= 0.
    """
    _check_logits("fake_logits", fake_logits)
    return _bce(fake_logits, 1.0)


def d_loss_hinge(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    r"""D's hinge loss :cite:p:`lim2017geometric,miyato2018spectral`, on raw outputs :math:`l`.

    .. math::  L_D^\text{hinge} = \mathrm{mean}_i \max(0, 1 - l(x_i))
               + \mathrm{mean}_j \max(0, 1 + l(G(z_j)))

    D is only pushed until reals score above +1 and fakes below -1; past
    the margin a sample adds nothing to the loss or its gradient.
    """
    _check_logits("real_out", real_out)
    _check_logits("fake_out", fake_out)
    return F.relu(1.0 - real_out).mean() + F.relu(1.0 + fake_out).mean()


def g_loss_hinge(fake_out: torch.Tensor) -> torch.Tensor:
    r"""G's loss with the hinge D :cite:p:`miyato2018spectral`: :math:`-\mathrm{mean}_j\, l(G(z_j))`.

    No margin on G's side: it raises D's output on its samples, as in WGAN.
    """
    _check_logits("fake_out", fake_out)
    return -fake_out.mean()


#: G's losses by name, as :class:`gan_helpers.train.TrainConfig` names them.
G_LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "minimax": g_loss_minimax,
    "non_saturating": g_loss_non_saturating,
}


def get_g_loss(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The G loss called ``name``; an unknown name raises ``ValueError`` listing the names."""
    return G_LOSSES[check_choice("g_loss", name, G_LOSSES)]
