r"""The arithmetic of many single-point GANs at once: every run's D and G as rows of tensors.

Each run's D is one row of an ``(R, 7)`` tensor, columns
``[u1, u2, c1, c2, a1, a2, c0]`` (hidden weights, hidden biases, output
weights, output bias), so that

.. math::  l(v) = a_1\,\sigma(u_1 v + c_1) + a_2\,\sigma(u_2 v + c_2) + c_0

is its logit; its G is a row ``[w, b]`` of an ``(R, 2)`` tensor. This module
owns the forward pass (:func:`d_forward`, :func:`discriminator_prob`), the
losses and their gradients written out by hand (:func:`d_grad`,
:func:`g_grad`: on a CPU this halves the time per step against autograd, and
the tests check every one against ``train_single``'s autograd) and the
optimiser that steps all runs together (:class:`BatchedOptimizer`). Runs never
mix: each run's gradient is its own. The training loop over steps is
:func:`gan_helpers.point_sweep.simulate`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .point_config import PointConfig

__all__ = [
    "D_COLUMNS",
    "d_parts",
    "d_forward",
    "theta_d_of",
    "per_run_values",
    "discriminator_prob",
    "d_grad",
    "g_grad",
    "BatchedOptimizer",
]

#: Where each parameter of D lives in a row of the (R, 7) D tensor (keys of a batched parameter dict).
D_COLUMNS = {"d_w1": slice(0, 2), "d_b1": slice(2, 4), "d_w2": slice(4, 6), "d_b2": slice(6, 7)}


def d_parts(theta_d: torch.Tensor):
    """Views of a (R, 7) D tensor, shaped to broadcast against (R, N, 2)."""
    u, c, a = (theta_d[:, None, i : i + 2] for i in (0, 2, 4))  # (R, 1, 2) each
    return u, c, a, theta_d[:, 6:7]  # c0: (R, 1)


def d_forward(theta_d: torch.Tensor, v: torch.Tensor):
    """Hidden activations (R, N, 2) and logits (R, N) of every run's D at values ``v`` (R, N)."""
    u, c, a, c0 = d_parts(theta_d)
    h = torch.sigmoid(v.unsqueeze(-1) * u + c)  # (R, N, 2)
    return h, (h * a).sum(-1) + c0  # (R, N)


def theta_d_of(params: dict[str, np.ndarray]) -> torch.Tensor:
    """The (R, 7) D tensor from a batched parameter dict (``SweepResult.params``)."""
    R = len(np.atleast_1d(params["d_b2"]))
    return torch.cat([torch.as_tensor(np.asarray(params[k], dtype=np.float32)).reshape(R, -1) for k in D_COLUMNS], 1)


def per_run_values(values, runs: int) -> torch.Tensor:
    """Values as a float tensor (R, N): one grid (N,) shared by all runs, or one row per run."""
    v = torch.as_tensor(np.asarray(values, dtype=np.float32))
    return v.expand(runs, -1) if v.dim() == 1 else v


def discriminator_prob(params: dict[str, np.ndarray], values) -> np.ndarray:
    """P(real) from every run's D: an array (R, N).

    ``params`` is a batched parameter dict, e.g. ``SweepResult.params``;
    ``values`` is one grid (N,) shared by all runs, or one row per run (R, N).
    """
    theta_d = theta_d_of(params)
    v = per_run_values(values, theta_d.shape[0])
    with torch.no_grad():
        return torch.sigmoid(d_forward(theta_d, v)[1]).numpy()


def d_grad(theta_d, v, y, weight, n_real: int, fake_weight: float, r1_gamma: float, target: float):
    r"""D's loss (R,) and its gradient (R, 7) for every run.

    The loss is :math:`\sum_i \omega_i\,\ell(l_i, y_i)` with
    :math:`\ell(l, y) = \mathrm{softplus}(l) - y l` (BCE on logits), so
    :math:`\partial \ell/\partial l = \sigma(l) - y =: \delta`. With
    :math:`h_j = \sigma(u_j v + c_j)` and :math:`l = \sum_j a_j h_j + c_0`:

    .. math::
        \partial_{a_j} = \sum_i \omega_i\delta_i h_{ij},\quad
        \partial_{c_0} = \sum_i \omega_i\delta_i,\quad
        \partial_{c_j} = \sum_i \omega_i\delta_i a_j h_{ij}(1-h_{ij}),\quad
        \partial_{u_j} = \sum_i \omega_i\delta_i a_j h_{ij}(1-h_{ij}) v_i.

    R1 adds :math:`\frac{\gamma}{2} g^2` with :math:`g = l'(T) = \sum_j a_j u_j s_j`,
    :math:`s_j = h_j(1-h_j)` at the target :math:`T`, whose gradient is
    :math:`\gamma g\,(u_j s_j)` for :math:`a_j`,
    :math:`\gamma g\,a_j (s_j + u_j s'_j T)` for :math:`u_j` and
    :math:`\gamma g\,a_j u_j s'_j` for :math:`c_j`, with :math:`s' = s(1-2h)`.
    """
    u, c, a, c0 = d_parts(theta_d)
    h, logits = d_forward(theta_d, v)
    per_value = F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none")
    loss = per_value[:, :n_real].mean(1) + fake_weight * per_value[:, n_real:].mean(1)  # as train_single sums it
    delta = ((torch.sigmoid(logits) - y) * weight).unsqueeze(-1)  # (R, N, 1)
    back = (delta * a) * (h * (1 - h))  # (R, N, 2): d loss / d (u v + c), in autograd's order
    grad = torch.cat([(back * v.unsqueeze(-1)).sum(1), back.sum(1), (delta * h).sum(1), delta.sum(1)], 1)  # (R, 7)
    if r1_gamma > 0:
        u, c, a = u[:, 0], c[:, 0], a[:, 0]  # (R, 2)
        h_t = torch.sigmoid(u * target + c)
        s = h_t * (1 - h_t)
        s_prime = s * (1 - 2 * h_t)
        g = r1_gamma * (a * u * s).sum(1, keepdim=True)  # gamma * l'(T): (R, 1)
        grad = grad + torch.cat(
            [g * a * (s + u * s_prime * target), g * a * u * s_prime, g * u * s, torch.zeros_like(g)], 1
        )
        loss = loss + g.squeeze(1) ** 2 / (2 * r1_gamma)  # = gamma / 2 * l'(T)^2
    return loss, grad


def g_grad(theta_g, theta_d, x):
    r"""G's loss :math:`\frac1B\sum_i \ell(l(w x_i + b), 1)` (R,) and its gradient (R, 2) for every run.

    :math:`\partial_v \ell = (\sigma(l) - 1)\sum_j a_j u_j h_j(1-h_j)`, then
    :math:`\partial_w = \frac1B\sum_i \partial_v\ell_i\,x_i`, :math:`\partial_b = \frac1B\sum_i \partial_v\ell_i`.
    """
    u, _, a, _ = d_parts(theta_d)
    v = theta_g[:, :1] * x + theta_g[:, 1:]  # (R, B)
    h, logits = d_forward(theta_d, v)
    dl = ((torch.sigmoid(logits) - 1) / x.shape[1]).unsqueeze(-1)  # (R, B, 1)
    dv = ((dl * a) * (h * (1 - h)) * u).sum(-1)  # (R, B), multiplied in autograd's order
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none").mean(1)
    return loss, torch.stack([(dv * x).sum(1), dv.sum(1)], 1)


class BatchedOptimizer:
    r"""Adam or SGD on a (R, P) tensor with one learning rate per run (``lr``: (R, 1)).

    Follows ``torch.optim.Adam`` / ``SGD`` with L2 ``weight_decay`` added to
    the gradient, so a run here takes the same steps as ``train_single``.
    SGD with ``config.momentum`` :math:`\mu > 0` keeps a buffer
    :math:`m_1 = g_1`, :math:`m_t = \mu m_{t-1} + g_t` and steps by
    :math:`\eta\,m_t`, as ``torch.optim.SGD`` does (no dampening, no Nesterov).
    Rows whose ``active`` flag is False are left unchanged.
    """

    def __init__(self, param: torch.Tensor, lr: torch.Tensor, config: PointConfig, weight_decay: float = 0.0):
        self.p, self.lr, self.cfg, self.wd = param, lr, config, weight_decay
        self.m, self.v = torch.zeros_like(param), torch.zeros_like(param)
        self.t = 0

    def step(self, grad: torch.Tensor, active: torch.Tensor) -> None:
        self.t += 1
        if self.wd:
            grad = grad + self.wd * self.p
        if self.cfg.optimizer == "sgd":
            if self.cfg.momentum > 0:
                if self.t == 1:
                    self.m.copy_(grad)
                else:
                    self.m.mul_(self.cfg.momentum).add_(grad)
                grad = self.m
            update = self.lr * grad
        else:
            beta1, beta2 = self.cfg.betas
            self.m.mul_(beta1).add_(grad, alpha=1 - beta1)
            self.v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = (self.v.sqrt() / math.sqrt(1 - beta2**self.t)).add_(1e-8)
            update = (self.lr / (1 - beta1**self.t)) * self.m / denom
        self.p.sub_(torch.where(active.unsqueeze(1), update, torch.zeros_like(update)))
