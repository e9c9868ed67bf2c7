r"""The Dirac-GAN of :cite:t:`mescheder2018training`: the smallest GAN whose training dynamics can be drawn.

G puts all its mass on one number :math:`\theta`, the real data sits at 0, and
D's logit is linear, :math:`l(x) = \psi x`: two parameters, so the training
dynamics are a vector field in the plane. This module owns the field
(:func:`dirac_field`, in this course's losses, with R1 and noise) and the path
of alternating gradient steps (:func:`dirac_trajectory`). It is plain NumPy
and imports nothing from the other GAN modules; :mod:`gan_helpers.point`
re-exports both names for lesson 2.
"""

from __future__ import annotations

import numpy as np

from .utils import check_choice, check_int, check_nonnegative, check_positive

__all__ = ["dirac_field", "dirac_trajectory"]


def dirac_field(
    theta,
    psi,
    r1_gamma: float = 0.0,
    noise_scale: float = 0.0,
    noise_on: str = "fake",
    g_loss: str = "non_saturating",
    nodes: int = 40,
):
    r"""The training vector field of the Dirac-GAN, in this course's losses.

    G puts all its mass on :math:`\theta`; the real data sits at 0; D's logit
    is linear, :math:`l(x) = \psi x`. D lowers
    :math:`L_D = \mathrm{softplus}(-\psi x_r) + \mathrm{softplus}(\psi x_f)`
    and G lowers the non-saturating :math:`L_G = \mathrm{softplus}(-\psi\theta)`,
    (or the minimax :math:`L_G = -\mathrm{softplus}(\psi\theta)` with
    ``g_loss="minimax"``, which gives :math:`\dot\theta = \psi\,\sigma(\psi\theta)`),
    so gradient descent follows

    .. math::
        \dot\theta = \psi\,\sigma(-\psi\theta), \qquad
        \dot\psi = \mathbb{E}\big[x_r\sigma(-\psi x_r)\big] - \mathbb{E}\big[x_f\sigma(\psi x_f)\big] - \gamma\psi.

    Without regularisation :math:`x_r = 0`, :math:`x_f = \theta`, and near the
    equilibrium (0, 0) the field is a rotation. With the minimax loss it
    keeps :math:`\theta^2 + \psi^2` constant exactly (circles, as in
    :cite:t:`mescheder2018training`); the non-saturating loss shrinks it only at fourth order
    in the distance, so runs circle for a long time. The R1
    penalty :math:`\frac\gamma2 l'(x_r)^2 = \frac\gamma2\psi^2` adds the
    damping :math:`-\gamma\psi`. Gaussian noise of scale s on the fakes (as
    noise on G's bias does; ``noise_on="fake"``) or on both
    (``"both"``: instance noise) damps too: to first order it adds
    :math:`-\psi s^2/4` per noisy side. Expectations use Gauss-Hermite
    quadrature with ``nodes`` points. Returns ``(d_theta, d_psi)``.
    """
    check_choice("noise_on", noise_on, ("fake", "both"))
    check_choice("g_loss", g_loss, ("non_saturating", "minimax"))
    gamma, s = check_nonnegative("r1_gamma", r1_gamma), check_nonnegative("noise_scale", noise_scale)
    theta, psi = np.asarray(theta, dtype=float), np.asarray(psi, dtype=float)
    sig = lambda t: 0.5 * (1 + np.tanh(t / 2))  # noqa: E731  (stable sigmoid)
    if s > 0:
        eps, weights = np.polynomial.hermite_e.hermegauss(nodes)
        weights = weights / weights.sum()
        e = s * eps.reshape((-1,) + (1,) * theta.ndim)
        w = weights.reshape(e.shape)
        fake = ((theta + e) * sig(psi * (theta + e)) * w).sum(0)
        real = (e * sig(-psi * e) * w).sum(0) if noise_on == "both" else 0.0
    else:
        fake, real = theta * sig(psi * theta), 0.0
    d_theta = psi * sig(psi * theta) if g_loss == "minimax" else psi * sig(-psi * theta)
    d_psi = real - fake - gamma * psi
    return d_theta, d_psi


def dirac_trajectory(theta0: float, psi0: float, lr: float = 0.1, num_steps: int = 500, **field_options) -> np.ndarray:
    """Alternating gradient steps on the Dirac-GAN (D first, then G, as in the lessons).

    Returns the (num_steps + 1, 2) path of (theta, psi). ``field_options``
    go to :func:`dirac_field`.
    """
    lr = check_positive("lr", lr)
    num_steps = check_int("num_steps", num_steps, minimum=1)
    path = np.empty((num_steps + 1, 2))
    theta, psi = float(theta0), float(psi0)
    path[0] = theta, psi
    for i in range(1, num_steps + 1):
        psi = psi + lr * dirac_field(theta, psi, **field_options)[1]
        theta = theta + lr * dirac_field(theta, psi, **field_options)[0]
        path[i] = theta, psi
    return path
