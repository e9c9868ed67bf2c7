r"""Wasserstein losses and the penalties on D's gradient.

Arjovsky et al. :cite:p:`arjovsky2017wasserstein` replace D's probability by a
*critic* :math:`f` with a raw real-valued output and train it to estimate the
earth mover's distance between the data and G's samples,

.. math::  W(p_\text{data}, p_g) = \sup_{\|f\|_L \le 1}
           \mathbb{E}_{x \sim p_\text{data}}[f(x)] - \mathbb{E}_{z}[f(G(z))],

the supremum over 1-Lipschitz functions. Two ways to keep the critic
Lipschitz live here:

* :func:`clip_weights_`: clip every weight to :math:`[-c, c]` after each
  critic step :cite:p:`arjovsky2017wasserstein`;
* :func:`gradient_penalty`: penalise :math:`(\|\nabla_{\hat x} f(\hat x)\| - 1)^2`
  at random points between real and fake samples :cite:p:`gulrajani2017improved`.

:func:`r1_penalty` :cite:p:`mescheder2018training` penalises the gradient on
the *real* data only, and adds to any objective.

The losses take tensors of outputs; the penalties take the critic as a
callable (a module, or a function of stacked weights), so the batched toy
trainers can use them too.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .utils import check_positive

__all__ = ["critic_loss", "g_loss_wasserstein", "clip_weights_", "gradient_penalty", "r1_penalty"]


def critic_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    r"""The critic's loss, to be minimised: :math:`\mathrm{mean}_j f(G(z_j)) - \mathrm{mean}_i f(x_i)`.

    Its negative is the critic's estimate of the Wasserstein distance (up to
    the Lipschitz constant), the number WGAN's loss curves show.
    """
    return fake_out.mean() - real_out.mean()


def g_loss_wasserstein(fake_out: torch.Tensor) -> torch.Tensor:
    r"""G's Wasserstein loss: :math:`-\mathrm{mean}_j f(G(z_j))`."""
    return -fake_out.mean()


@torch.no_grad()
def clip_weights_(critic: nn.Module, clip: float) -> nn.Module:
    """Clamp every parameter of ``critic`` to ``[-clip, clip]``, in place; return it.

    Arjovsky et al. clip with :math:`c = 0.01`. Their section 3 calls it "a
    clearly terrible way to enforce a Lipschitz constraint": too small a
    ``clip`` and the gradients vanish, too large and the critic is slow to
    train.
    """
    clip = check_positive("clip", clip)
    for p in critic.parameters():
        p.clamp_(-clip, clip)
    return critic


def _input_gradient(critic: Callable[..., torch.Tensor], x: torch.Tensor, *args) -> torch.Tensor:
    """:math:`\\nabla_x \\sum_i f(x_i)`, one row per sample, kept in the graph."""
    x = x.detach().requires_grad_(True)
    out = critic(x, *args)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1)  # (B, features)


def gradient_penalty(
    critic: Callable[..., torch.Tensor],
    x_real: torch.Tensor,
    x_fake: torch.Tensor,
    *args,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""WGAN-GP's penalty :cite:p:`gulrajani2017improved` (before its weight :math:`\lambda`).

    .. math::  \mathrm{GP} = \mathrm{mean}_i \big(\|\nabla_{\hat x} f(\hat x_i)\|_2 - 1\big)^2,
               \qquad \hat x_i = \epsilon_i x_i + (1 - \epsilon_i)\,\tilde x_i,
               \quad \epsilon_i \sim U[0, 1],

    one :math:`\epsilon` per sample, drawn on the CPU from ``generator``
    (torch's global RNG when None) and moved to the data's device. ``args``
    (class labels, for a conditional critic) are passed on to ``critic``.
    The result stays in the graph: add it to the critic's loss.
    """
    if x_real.shape != x_fake.shape:
        raise ValueError(
            f"x_real and x_fake must have the same shape, got {tuple(x_real.shape)} and {tuple(x_fake.shape)}"
        )
    eps = torch.rand(x_real.shape[0], generator=generator).to(x_real)  # (B,)
    eps = eps.view(-1, *([1] * (x_real.dim() - 1)))  # (B, 1, ...)
    x_hat = eps * x_real.detach() + (1 - eps) * x_fake.detach()
    grad = _input_gradient(critic, x_hat, *args)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def r1_penalty(critic: Callable[..., torch.Tensor], x_real: torch.Tensor, *args) -> torch.Tensor:
    r"""The R1 penalty :cite:p:`mescheder2018training` (before its weight :math:`\gamma/2`).

    .. math::  R_1 = \mathrm{mean}_i \|\nabla_x D(x_i)\|_2^2

    on the real samples only, taken on D's logit. The objective adds
    :math:`\tfrac{\gamma}{2} R_1` to D's loss, as in the paper's eq. (9).
    """
    grad = _input_gradient(critic, x_real, *args)
    return grad.pow(2).sum(dim=1).mean()
