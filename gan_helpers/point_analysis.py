r"""Reading single-point GAN runs: what went wrong, and what signal D gives G.

This module owns :data:`FAILURE_TYPES` and :func:`failure_modes` (one name per
run of a :class:`~gan_helpers.point_sweep.SweepResult`), :func:`d_slope` (the
slope of D's probability, the only gradient G receives), :func:`bell_params`
(discriminators built by hand, bell- or box-shaped) and :func:`judge` (the
losses and G's gradient under any such D). :mod:`gan_helpers.point`
re-exports every name; :func:`~gan_helpers.point_engine.discriminator_prob`
reads D's probability itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .point_config import sample_inputs
from .point_engine import d_forward, d_grad, g_grad, per_run_values, theta_d_of
from .point_sweep import SweepResult
from .utils import check_int

__all__ = ["FAILURE_TYPES", "failure_modes", "d_slope", "bell_params", "judge"]

#: The names :func:`failure_modes` gives, with what each means.
FAILURE_TYPES = {
    "success": "w near 0 and b near 1 at the end",
    "oscillating": "G keeps circling the real value: it moves a lot in the last quarter of training, around b = 1",
    "wandering": "G keeps moving in the last quarter of training, but not around the real value",
    "stuck (flat D)": "G has stopped away from the real value because D is flat where G's outputs are: no gradient",
    "stopped elsewhere": "G has stopped away from the real value although D still has a slope there",
    "diverged": "a loss or parameter became infinite or NaN",
}


def d_slope(params: dict[str, np.ndarray], values) -> np.ndarray:
    """dD/dv (of the probability) for every run at ``values`` (N,) or (R, N)."""
    theta_d = theta_d_of(params)
    v = per_run_values(values, theta_d.shape[0]).clone().requires_grad_(True)
    prob = torch.sigmoid(d_forward(theta_d, v)[1])
    (grad,) = torch.autograd.grad(prob.sum(), v)
    return grad.numpy()


def failure_modes(
    result: SweepResult, tail: float = 0.25, move_tol: float = 0.05, near: float = 0.25, flat_tol: float = 1e-2
) -> pd.Series:
    """Name what happened to every run of ``result`` (see ``FAILURE_TYPES``).

    Needs ``result.history`` (``simulate(..., record_every=k)``). A run that
    did not succeed is *moving* if w or b spans more than ``move_tol`` over
    the last ``tail`` of its history: *oscillating* if its mean b there is
    within ``near`` of the target, else *wandering*. A run that stopped is
    *stuck (flat D)* if D's mean ``|slope|`` over G's outputs is below
    ``flat_tol``, else *stopped elsewhere*.
    """
    if result.history.shape[1] < 4:
        raise ValueError("failure_modes needs a history: run simulate(..., record_every=k) with >= 4 records")
    if not 0 < tail <= 1:
        raise ValueError(f"tail must be in (0, 1], got {tail!r}")
    frame, target = result.frame, result.config.target
    last = result.history[:, -max(2, int(round(tail * result.history.shape[1]))) :]  # (R, T', 2)
    span = np.ptp(last, axis=1).max(axis=1)
    b_mean = last[:, :, 1].mean(axis=1)
    x = np.linspace(-1, 1, 21, dtype=np.float32)
    outputs = frame.w.to_numpy()[:, None] * x + frame.b.to_numpy()[:, None]  # (R, 21)
    slope = np.abs(d_slope(result.params, outputs)).mean(axis=1)
    labels = np.where(
        span > move_tol,
        np.where(np.abs(b_mean - target) < near, "oscillating", "wandering"),
        np.where(slope < flat_tol, "stuck (flat D)", "stopped elsewhere"),
    )
    labels = np.where(frame.success, "success", labels)
    labels = np.where(frame.diverged_step > 0, "diverged", labels)
    return pd.Series(labels, index=frame.index, name="outcome")


def bell_params(center, half_width, steepness, height, bias) -> dict[str, np.ndarray]:
    r"""Bell- or box-shaped D's as a batched parameter dict (arguments broadcast to R runs).

    :math:`l(v) = h\,\sigma(k(v - c + \delta)) - h\,\sigma(k(v - c - \delta)) + c_0`:
    two hidden units, one rising at :math:`c - \delta`, one falling at
    :math:`c + \delta`. Large ``steepness`` k makes a box, small a soft bell.
    """
    c, d, k, h, c0 = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=float)) for a in (center, half_width, steepness, height, bias))
    )
    for name, value in (("half_width", d), ("steepness", k)):
        if not (np.isfinite(value).all() and (value > 0).all()):
            raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    if not all(np.isfinite(a).all() for a in (c, h, c0)):
        raise ValueError("center, height and bias must be finite")
    return {
        "w": np.zeros(len(c)),
        "b": np.zeros(len(c)),
        "d_w1": np.stack([k, k], 1),
        "d_b1": np.stack([k * (d - c), -k * (c + d)], 1),
        "d_w2": np.stack([h, -h], 1),
        "d_b2": c0,
    }


def judge(params: dict[str, np.ndarray], w: float, b: float, batch_size: int = 4096, seed: int = 0) -> pd.DataFrame:
    """D's loss on real values against G(x) = w x + b, and the gradient G gets, for every run's D.

    Returns one row per D: ``loss_d`` (BCE, as in training), ``loss_g``, and
    ``grad_w``, ``grad_b``: the gradient of G's loss, the only signal G learns from.
    """
    theta_d = theta_d_of(params)
    R = theta_d.shape[0]
    gen = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    x = sample_inputs(check_int("batch_size", batch_size, minimum=1), gen).expand(R, -1)  # (R, B)
    theta_g = torch.tensor([[float(w), float(b)]]).expand(R, -1)
    fake = theta_g[:, :1] * x + theta_g[:, 1:]
    B = x.shape[1]
    v = torch.cat([torch.ones(R, B), fake], 1)
    y = torch.cat([torch.ones(B), torch.zeros(B)])
    weight = torch.full((2 * B,), 1.0 / B)
    with torch.no_grad():
        loss_d, _ = d_grad(theta_d, v, y, weight, B, 1.0, 0.0, 1.0)
        loss_g, grad_g = g_grad(theta_g, theta_d, x)
    return pd.DataFrame(
        {
            "loss_d": loss_d.numpy(),
            "loss_g": loss_g.numpy(),
            "grad_w": grad_g[:, 0].numpy(),
            "grad_b": grad_g[:, 1].numpy(),
        }
    )
